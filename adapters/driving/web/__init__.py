"""The web pages for people: server-rendered, Chinese first, on the API's process under ``/``.

``routes/`` holds the page handlers, ``templates/`` the Jinja2 templates, ``static/`` the
stylesheet and the few lines of script, ``locales/`` the gettext catalogs. Pages build the
same commands as the API (``workflows.commands``) and read the same read models.
"""
