"""One module per AWS service (plus plain HTTP): the only code that talks to the outside.

Functions take an `opslib.aws.Aws` first, paginate, and return plain data.
"""
