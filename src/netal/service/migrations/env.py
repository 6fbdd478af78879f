"""Alembic environment of the service schema: always run from netal with a live connection.

:func:`netal.service.database.upgrade` passes the connection in
``config.attributes["connection"]``; there is no ``alembic.ini`` and no URL.
"""

from alembic import context

from netal.service.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    version_table="netal_service_version",
)
with context.begin_transaction():
    context.run_migrations()
