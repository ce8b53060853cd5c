"""Making the table: the field catalogue, TableSpec, DDL, the Glue catalogue, and discovery of what
a location holds."""
