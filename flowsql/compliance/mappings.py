"""Which requirement each control is commonly mapped to, in flowsql's own words, from the public text
of PCI DSS v4.0, the HIPAA Security Rule, the SOC 2 Trust Services Criteria (2017), AWS Security Hub
and AWS Config. Guidance for whoever prepares the evidence: not a certification, and the assessor of
each framework decides what satisfies it."""

from __future__ import annotations

PCI_LOGS_ON = "PCI DSS v4.0 10.2.1 (audit logs are enabled and active for all system components)"
PCI_CONTENT = (
    "PCI DSS v4.0 10.2.2 (each logged event records type, time, success or failure, origin and the "
    "component affected)"
)
PCI_READ = "PCI DSS v4.0 10.3.1 (read access to audit log files is limited to a job-related need)"
PCI_MODIFY = "PCI DSS v4.0 10.3.2 (audit log files are protected against modification)"
PCI_BACKUP = "PCI DSS v4.0 10.3.3 (audit logs are promptly backed up to media that is difficult to modify)"
PCI_REVIEW = "PCI DSS v4.0 10.4.1 (audit logs are reviewed)"
PCI_RETAIN = (
    "PCI DSS v4.0 10.5.1 (audit log history kept at least 12 months, the latest three months "
    "immediately available for analysis)"
)
PCI_FAILURES = (
    "PCI DSS v4.0 10.7.2 (failures of critical security control systems, audit logging among them, "
    "are detected and responded to)"
)
HIPAA = (
    "HIPAA Security Rule 45 CFR 164.312(b) audit controls (mechanisms that record and examine "
    "activity in systems holding ePHI)"
)
HIPAA_RETAIN = (
    "HIPAA 45 CFR 164.312(b) audit controls (the rule names no log retention period: the period "
    "required is the organisation's own, given here with --retention)"
)
SOC2_MONITOR = (
    "SOC 2 CC7.2 (system components are monitored for anomalies that indicate malicious acts, "
    "errors or failures)"
)
SOC2_ACCESS = "SOC 2 CC6.1 (logical access to information assets is restricted)"
HUB_EC2_6 = "AWS Security Hub EC2.6 (VPC flow logging should be enabled in all VPCs)"
CONFIG_RULE = "AWS Config vpc-flow-logs-enabled (NON_COMPLIANT when a VPC has no flow log)"
CONFIG_TRAFFIC = "AWS Config vpc-flow-logs-enabled with its optional trafficType parameter set to ALL"
HUB_S3_1_8 = "AWS Security Hub S3.1 / S3.8 (Block Public Access enabled for the account / for the bucket)"
HUB_S3_6 = (
    "AWS Security Hub S3.6 (permissions granted to other AWS accounts in bucket policies are restricted)"
)

MAPPINGS: dict[str, tuple[str, ...]] = {
    "coverage.vpcs": (HUB_EC2_6, CONFIG_RULE, PCI_LOGS_ON, HIPAA, SOC2_MONITOR),
    "coverage.traffic_type": (CONFIG_TRAFFIC, PCI_LOGS_ON, PCI_CONTENT, SOC2_MONITOR),
    "coverage.format": (PCI_CONTENT, HIPAA),
    "delivery.status": (PCI_FAILURES, PCI_LOGS_ON, SOC2_MONITOR, HIPAA),
    "delivery.gaps": (PCI_FAILURES, PCI_LOGS_ON, SOC2_MONITOR),
    "retention.lifecycle": (PCI_RETAIN, HIPAA_RETAIN),
    "protection.versioning": (PCI_MODIFY, PCI_BACKUP),
    "protection.encryption": (PCI_MODIFY, SOC2_ACCESS),
    "protection.public_access": (PCI_READ, HUB_S3_1_8, SOC2_ACCESS),
    "protection.policy": (PCI_READ, HUB_S3_6, SOC2_ACCESS),
    "queryable.table": (PCI_REVIEW, PCI_RETAIN, HIPAA, SOC2_MONITOR),
}
