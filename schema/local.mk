schemadir = $(pkgdatadir)/schema
dist_schema_DATA = \
	schema/001_core.sql \
	schema/002_ledger.sql
dist_schema_DATA += schema/003_tariffs.sql schema/004_consumption.sql
dist_schema_DATA += schema/005_policy.sql
dist_schema_DATA += schema/006_readings.sql
dist_schema_DATA += schema/007_payments.sql
dist_schema_DATA += schema/009_alerts.sql
dist_schema_DATA += schema/010_tenant.sql
dist_schema_DATA += schema/011_refunds.sql
dist_schema_DATA += schema/012_shares.sql
dist_schema_DATA += schema/013_audit_request.sql
dist_schema_DATA += schema/014_signin.sql
dist_schema_DATA += schema/015_usage_hours.sql
dist_schema_DATA += schema/016_wechat_pay.sql
