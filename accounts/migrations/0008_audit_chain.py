# Issue 12: each schema's audit entries form a hash chain sealed by the database at commit, and the database
# refuses UPDATE and DELETE on them. Tenant migrations run this in every tenant schema and in the template that new
# tenants are cloned from (its triggers are cloned with it); the public schema's entries form their own chain.
#
# Why at commit: a deferred constraint trigger seals a transaction's entries when it commits, so the chain head
# is locked only for the commit itself, after every other lock of the transaction (no lock-order hazard with the
# stock or order locks taken after an audit call, and nothing waits on a long transaction that wrote an entry).
# The chain follows commit order. The functions live in `public` so clones of a schema find them.

from django.db import migrations, models

DIGEST = """
CREATE OR REPLACE FUNCTION public.pos_audit_digest(
    prev text, seq bigint, id bigint, created_at timestamptz, actor_id bigint, actor_username text, action text,
    target_type text, target_id text, target_label text, data jsonb, ip_address inet
) RETURNS text LANGUAGE sql STABLE AS $$
    -- The canonical form: a JSON array of the fields in a fixed order (jsonb's text form is deterministic),
    -- the time in UTC to the microsecond.
    SELECT encode(sha256(convert_to(jsonb_build_array(
        prev, seq, id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), actor_id,
        actor_username, action, target_type, target_id, target_label, data, host(ip_address)
    )::text, 'UTF8')), 'hex')
$$;
"""

SEAL = """
CREATE OR REPLACE FUNCTION public.pos_audit_seal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head_seq bigint;
    head_hash text;
    digest text;
BEGIN
    IF coalesce(NEW.hash, '') <> '' THEN
        RETURN NULL;  -- copied already sealed (a tenant cloned from the template)
    END IF;
    EXECUTE format('SELECT seq, hash FROM %I.accounts_auditchainhead WHERE id = 1 FOR UPDATE', TG_TABLE_SCHEMA)
        INTO head_seq, head_hash;
    IF head_seq IS NULL THEN
        EXECUTE format('INSERT INTO %I.accounts_auditchainhead (id, seq, hash) VALUES (1, 0, $1) '
                       'ON CONFLICT (id) DO NOTHING', TG_TABLE_SCHEMA) USING '';
        EXECUTE format('SELECT seq, hash FROM %I.accounts_auditchainhead WHERE id = 1 FOR UPDATE', TG_TABLE_SCHEMA)
            INTO head_seq, head_hash;
    END IF;
    digest := public.pos_audit_digest(head_hash, head_seq + 1, NEW.id, NEW.created_at, NEW.actor_id,
        NEW.actor_username, NEW.action, NEW.target_type, NEW.target_id, NEW.target_label, NEW.data, NEW.ip_address);
    PERFORM set_config('pos.audit_sealing', 'on', true);
    EXECUTE format('UPDATE %I.accounts_auditentry SET chain_seq = $1, prev_hash = $2, hash = $3 WHERE id = $4',
                   TG_TABLE_SCHEMA) USING head_seq + 1, head_hash, digest, NEW.id;
    PERFORM set_config('pos.audit_sealing', 'off', true);
    EXECUTE format('UPDATE %I.accounts_auditchainhead SET seq = $1, hash = $2 WHERE id = 1', TG_TABLE_SCHEMA)
        USING head_seq + 1, digest;
    RETURN NULL;
END $$;
"""

GUARD = """
CREATE OR REPLACE FUNCTION public.pos_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The one change allowed: the seal (above) filling the chain columns of an entry not sealed yet.
    IF TG_OP = 'UPDATE' AND current_setting('pos.audit_sealing', true) = 'on' AND coalesce(OLD.hash, '') = ''
       AND (to_jsonb(NEW) - 'chain_seq' - 'prev_hash' - 'hash') = (to_jsonb(OLD) - 'chain_seq' - 'prev_hash' - 'hash')
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % on %.% refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
"""

# Entries written before this migration: sealed in id order (there was no commit order to follow).
SEAL_EXISTING = """
DO $$
DECLARE
    r record;
    prev text := '';
    n bigint := 0;
BEGIN
    FOR r IN SELECT * FROM accounts_auditentry ORDER BY id LOOP
        n := n + 1;
        UPDATE accounts_auditentry SET chain_seq = n, prev_hash = prev,
               hash = public.pos_audit_digest(prev, n, r.id, r.created_at, r.actor_id, r.actor_username, r.action,
                                              r.target_type, r.target_id, r.target_label, r.data, r.ip_address)
         WHERE id = r.id RETURNING hash INTO prev;
    END LOOP;
    INSERT INTO accounts_auditchainhead (id, seq, hash) VALUES (1, n, prev);
END $$;
"""

TRIGGERS = """
CREATE CONSTRAINT TRIGGER accounts_auditentry_seal AFTER INSERT ON accounts_auditentry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.pos_audit_seal();
CREATE TRIGGER accounts_auditentry_append_only BEFORE UPDATE OR DELETE ON accounts_auditentry
    FOR EACH ROW EXECUTE FUNCTION public.pos_audit_guard();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS accounts_auditentry_seal ON accounts_auditentry;
DROP TRIGGER IF EXISTS accounts_auditentry_append_only ON accounts_auditentry;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_username_rules_password_history_otp_expiry'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditChainHead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.BigIntegerField(default=0)),
                ('hash', models.CharField(blank=True, max_length=64)),
            ],
        ),
        migrations.AddField(
            model_name='auditentry',
            name='chain_seq',
            field=models.BigIntegerField(blank=True, editable=False, null=True, unique=True),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='hash',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='prev_hash',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.RunSQL(DIGEST + SEAL + GUARD, migrations.RunSQL.noop),
        migrations.RunSQL(SEAL_EXISTING, "DELETE FROM accounts_auditchainhead"),
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
    ]
