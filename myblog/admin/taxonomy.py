"""Admin views for categories and tags: create, rename, merge, delete (admins only)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from wtforms.fields.choices import SelectChoice

from myblog.admin import bp
from myblog.admin.forms import DeleteForm, MergeForm, NameForm
from myblog.admin.views import require_admin
from myblog.extensions import db
from myblog.models import Category, Tag
from myblog.services import taxonomy

KINDS: dict[str, type[Category] | type[Tag]] = {"categories": Category, "tags": Tag}


def _model(kind: str) -> type[Category] | type[Tag]:
    require_admin()
    return KINDS[kind]


@bp.route("/<any(categories, tags):kind>", methods=["GET", "POST"])
def list_terms(kind: str) -> ResponseReturnValue:
    model = _model(kind)
    form = NameForm()
    if kind == "categories" and form.validate_on_submit():
        try:
            taxonomy.create_category(form.name.data or "")
        except taxonomy.TaxonomyError as exc:
            db.session.rollback()
            form.name.errors = [*form.name.errors, str(exc)]
        else:
            flash("Category created.", "success")
            return redirect(url_for("admin.list_terms", kind=kind))
    return render_template(
        "admin/list_terms.html", kind=kind, terms=taxonomy.with_counts(model), form=form
    )


@bp.route("/<any(categories, tags):kind>/<int:term_id>", methods=["GET", "POST"])
def edit_term(kind: str, term_id: int) -> ResponseReturnValue:
    model = _model(kind)
    term = db.get_or_404(model, term_id)
    rename_form = NameForm(obj=term, prefix="rename")
    merge_form = MergeForm(prefix="merge")
    merge_form.target_id.choices = [
        SelectChoice(other.id, other.name)
        for other, _ in taxonomy.with_counts(model)
        if other.id != term.id
    ]
    try:
        if rename_form.submit.data and rename_form.validate_on_submit():
            taxonomy.rename(term, rename_form.name.data or "")
            flash("Renamed.", "success")
            return redirect(url_for("admin.edit_term", kind=kind, term_id=term.id))
        if merge_form.submit.data and merge_form.validate_on_submit():
            target = db.get_or_404(model, merge_form.target_id.data)
            if isinstance(term, Category) and isinstance(target, Category):
                taxonomy.merge_categories(term, target)
            elif isinstance(term, Tag) and isinstance(target, Tag):
                taxonomy.merge_tags(term, target)
            else:  # pragma: no cover - the kind fixes both to the same model
                abort(400)
            flash(f"Merged into “{target.name}”.", "success")
            return redirect(url_for("admin.list_terms", kind=kind))
    except taxonomy.TaxonomyError as exc:
        db.session.rollback()
        rename_form.name.errors = [*rename_form.name.errors, str(exc)]
    return render_template(
        "admin/edit_term.html",
        kind=kind,
        term=term,
        rename_form=rename_form,
        merge_form=merge_form,
        delete_form=DeleteForm(prefix="delete"),
    )


@bp.route("/<any(categories, tags):kind>/<int:term_id>/delete", methods=["POST"])
def delete_term(kind: str, term_id: int) -> ResponseReturnValue:
    model = _model(kind)
    term = db.get_or_404(model, term_id)
    if not DeleteForm(prefix="delete").validate_on_submit():
        abort(400)
    taxonomy.delete_term(term)
    flash(f"Deleted “{term.name}”.", "info")
    return redirect(url_for("admin.list_terms", kind=kind))
