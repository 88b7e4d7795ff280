"""Moving in and out: reading other blogs' exports and Markdown folders, importing them, and
writing the whole blog to an archive that `flask import` restores.

The readers (`markdown_files`, `wordpress`, `ghost`, `archive`) turn a source into a `Batch` of
plain items; `importer` brings a batch into the database, one transaction per item; `exporter`
writes the archive. Heavy libraries (PyYAML, markdownify, charset-normalizer, defusedxml) are
imported by the functions that use them, so a worker that only serves pages never loads them.
"""
