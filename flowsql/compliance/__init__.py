"""Compliance evidence for VPC Flow Logs: is network traffic logged, delivered, complete, retained and
queryable? `evidence_ec2` and `evidence_s3` collect facts from AWS or a local folder, the `controls_*`
modules turn them into PASS/FAIL/WARN lines, `report` runs them all, and `render` writes the report
as text, JSON, Markdown or a standalone HTML page."""
