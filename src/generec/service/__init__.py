"""GeneRec's HTTP service: the API, the web page, background generation and sign-in.

:func:`create_app` builds the FastAPI app around a :class:`generec.pipeline.GeneRec`;
:func:`serve` runs it with uvicorn; :func:`create_demo_login` issues the demo's sign-in URL.

Example
-------
>>> from generec.service import create_app, create_demo_login   # doctest: +SKIP
>>> app = create_app(GeneRec.from_config(settings))              # doctest: +SKIP
"""

from generec.service.server import DemoLogin, create_demo_login, serve


def create_app(*args, **kwargs):  # noqa: ANN002, ANN003, ANN201 - re-exported lazily (FastAPI import is slow)
    from generec.service.app import create_app as _create_app

    return _create_app(*args, **kwargs)


__all__ = ["DemoLogin", "create_app", "create_demo_login", "serve"]
