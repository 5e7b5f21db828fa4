"""gunicorn logging without query strings, referers or user agents:
`gunicorn -c python:config.gunicorn_logging config.wsgi …` (or import these names into the
deployment's own gunicorn config). The default format's %(r)s is the whole request line, query
string included; %(U)s is the path alone. See docs/security-privacy.md."""

accesslog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
