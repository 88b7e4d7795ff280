"""Admin views for categories and tags: create, rename, merge, delete (admins only)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from myblog.admin.access import require_admin
from myblog.admin.blueprint import bp
from myblog.admin.forms import DeleteForm, MergeForm, NameForm
from myblog.models import Category, Tag
from myblog.services import taxonomy
from myblog.web import or_404

KINDS: dict[str, type[Category] | type[Tag]] = {"categories": Category, "tags": Tag}


def _model(kind: str) -> type[Category] | type[Tag]:
    require_admin()
    return KINDS[kind]


def _term(kind: str, term_id: int) -> Category | Tag:
    return or_404(taxonomy.term_by_id(_model(kind), term_id))


@bp.route("/<any(categories, tags):kind>", methods=["GET", "POST"])
def list_terms(kind: str) -> ResponseReturnValue:
    """Every category or tag with its number of posts, and a form for a new category."""
    model = _model(kind)
    form = NameForm()
    if kind == "categories" and form.validate_on_submit():
        try:
            taxonomy.create_category(form.name.data or "")
        except taxonomy.TaxonomyError as exc:
            form.name.errors = [*form.name.errors, str(exc)]
        else:
            flash(_("Category created."), "success")
            return redirect(url_for("admin.list_terms", kind=kind))
    return render_template(
        "admin/list_terms.html", kind=kind, terms=taxonomy.with_counts(model), form=form
    )


@bp.route("/<any(categories, tags):kind>/<id:term_id>", methods=["GET", "POST"])
def edit_term(kind: str, term_id: int) -> ResponseReturnValue:
    """Rename a category or tag, or merge it into another of its kind."""
    term = _term(kind, term_id)
    rename_form = NameForm(obj=term, prefix="rename")
    merge_form = MergeForm(prefix="merge")
    merge_form.offer_targets(taxonomy.others(term))
    try:
        if rename_form.submit.data and rename_form.validate_on_submit():
            return _renamed(kind, term, rename_form.name.data or "")
        if merge_form.submit.data and merge_form.validate_on_submit():
            return _merged(kind, term, _term(kind, merge_form.target_id.data))
    except taxonomy.TaxonomyError as exc:
        rename_form.name.errors = [*rename_form.name.errors, str(exc)]
    return _term_page(kind, term, rename_form, merge_form)


def _renamed(kind: str, term: Category | Tag, name: str) -> ResponseReturnValue:
    taxonomy.rename(term, name)
    flash(_("Renamed."), "success")
    return redirect(url_for("admin.edit_term", kind=kind, term_id=term.id))


def _merged(kind: str, term: Category | Tag, target: Category | Tag) -> ResponseReturnValue:
    taxonomy.merge(term, target)
    flash(_("Merged into “%(name)s”.", name=target.name), "success")
    return redirect(url_for("admin.list_terms", kind=kind))


def _term_page(
    kind: str, term: Category | Tag, rename_form: NameForm, merge_form: MergeForm
) -> ResponseReturnValue:
    return render_template(
        "admin/edit_term.html",
        kind=kind,
        term=term,
        rename_form=rename_form,
        merge_form=merge_form,
        delete_form=DeleteForm(prefix="delete"),
    )


def _gone(kind: str, term: Category | Tag | None) -> str:
    if term is not None:
        return _("“%(name)s” was already deleted.", name=term.name)
    if kind == "categories":
        return _("That category was already deleted.")
    return _("That tag was already deleted.")


@bp.route("/<any(categories, tags):kind>/<id:term_id>/delete", methods=["POST"])
def delete_term(kind: str, term_id: int) -> ResponseReturnValue:
    """Delete a category or tag; its posts are kept. One that is gone already (deleted by
    another request, or by this one a moment ago) is reported as already deleted."""
    if not DeleteForm(prefix="delete").validate_on_submit():
        abort(400)
    term = taxonomy.term_by_id(_model(kind), term_id)
    if term is None or not taxonomy.delete_term(term):
        flash(_gone(kind, term), "info")
    else:
        flash(_("Deleted “%(name)s”.", name=term.name), "info")
    return redirect(url_for("admin.list_terms", kind=kind))
