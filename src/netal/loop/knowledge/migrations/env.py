"""Alembic environment of the knowledge base: always run from netal with a live connection.

:func:`netal.loop.knowledge.migrate.upgrade` passes the connection in
``config.attributes["connection"]``; there is no ``alembic.ini`` and no URL.
"""

from alembic import context

from netal.loop.knowledge.tables import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
