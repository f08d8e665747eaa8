"""initial schema

Revision ID: f60e580ea43d
Revises: 
Create Date: 2026-11-28 15:47:47.506159

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = 'f60e580ea43d'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('json_data',
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('hash', name=op.f('pk_json_data'))
    )
    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('short_name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('ward_id', sa.Integer(), nullable=True),
    sa.Column('school_level', sa.String(length=20), nullable=True),
    sa.Column('symbol', sa.String(length=40), nullable=True),
    sa.Column('grammar', sa.String(length=20), nullable=True),
    sa.Column('counter_scope', sa.String(length=20), nullable=True),
    sa.Column('place', sa.String(length=80), nullable=True),
    sa.Column('managing_body', sa.String(length=200), nullable=True),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['organisation.id'], name=op.f('fk_organisation_parent_id_organisation')),
    sa.ForeignKeyConstraint(['ward_id'], ['organisation.id'], name=op.f('fk_organisation_ward_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
    sa.UniqueConstraint('code', name=op.f('uq_organisation_code'))
    )
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_parent_id'), ['parent_id'], unique=False)

    op.create_table('document_counter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], name=op.f('fk_document_counter_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_counter')),
    sa.UniqueConstraint('org_id', 'key', name=op.f('uq_document_counter_org_id'))
    )
    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('session_token', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], name=op.f('fk_user_account_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('username', name=op.f('uq_user_account_username'))
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_account_org_id'), ['org_id'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_api_token_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('process_definition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=120), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('xml', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('start_messages', sa.JSON(), nullable=False),
    sa.Column('start_properties', sa.JSON(), nullable=False),
    sa.Column('deployed_by_id', sa.Integer(), nullable=True),
    sa.Column('deployed_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['deployed_by_id'], ['user_account.id'], name=op.f('fk_process_definition_deployed_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_definition')),
    sa.UniqueConstraint('process_key', 'version', name=op.f('uq_process_definition_process_key'))
    )
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_definition_process_key'), ['process_key'], unique=False)

    op.create_table('user_role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_role_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_role')),
    sa.UniqueConstraint('user_id', 'role', name=op.f('uq_user_role_user_id'))
    )
    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_role_role'), ['role'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_role_user_id'), ['user_id'], unique=False)

    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer_id', sa.Integer(), nullable=False),
    sa.Column('doc_type', sa.String(length=10), nullable=False),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('symbol', sa.String(length=80), nullable=True),
    sa.Column('grammar', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('place', sa.String(length=80), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('signer_name', sa.String(length=200), nullable=True),
    sa.Column('signer_title', sa.String(length=200), nullable=True),
    sa.Column('authority_title', sa.String(length=200), nullable=True),
    sa.Column('signing_mode', sa.String(length=10), nullable=False),
    sa.Column('drafting_unit', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('response_due', sa.Date(), nullable=True),
    sa.Column('issuing_instance_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=300), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['issuer_id'], ['organisation.id'], name=op.f('fk_document_issuer_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('issuer_id', 'symbol', 'year', name=op.f('uq_document_issuer_id'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_issuer_id'), ['issuer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_issuing_instance_id'), ['issuing_instance_id'], unique=False)

    op.create_table('process_instance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=120), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('directive_id', sa.Integer(), nullable=True),
    sa.Column('sender_org_id', sa.Integer(), nullable=True),
    sa.Column('parent_instance_id', sa.Integer(), nullable=True),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('started_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('serializer_version', sa.String(length=10), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['definition_id'], ['process_definition.id'], name=op.f('fk_process_instance_definition_id_process_definition')),
    sa.ForeignKeyConstraint(['directive_id'], ['document.id'], name=op.f('fk_process_instance_directive_id_document')),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], name=op.f('fk_process_instance_org_id_organisation')),
    sa.ForeignKeyConstraint(['parent_instance_id'], ['process_instance.id'], name=op.f('fk_process_instance_parent_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['sender_org_id'], ['organisation.id'], name=op.f('fk_process_instance_sender_org_id_organisation')),
    sa.ForeignKeyConstraint(['started_by_id'], ['user_account.id'], name=op.f('fk_process_instance_started_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_instance'))
    )
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_instance_definition_id'), ['definition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_directive_id'), ['directive_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_parent_instance_id'), ['parent_instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_process_key'), ['process_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_status'), ['status'], unique=False)

    op.create_table('document_recipient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('delivered_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('responded_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('response_document_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_recipient_document_id_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_document_recipient_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], name=op.f('fk_document_recipient_org_id_organisation')),
    sa.ForeignKeyConstraint(['response_document_id'], ['document.id'], name=op.f('fk_document_recipient_response_document_id_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_recipient')),
    sa.UniqueConstraint('document_id', 'org_id', name=op.f('uq_document_recipient_document_id'))
    )
    with op.batch_alter_table('document_recipient', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_recipient_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_recipient_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_recipient_org_id'), ['org_id'], unique=False)

    op.create_table('document_relation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_id', sa.Integer(), nullable=False),
    sa.Column('to_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['from_id'], ['document.id'], name=op.f('fk_document_relation_from_id_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_id'], ['document.id'], name=op.f('fk_document_relation_to_id_document'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_relation')),
    sa.UniqueConstraint('from_id', 'to_id', 'kind', name=op.f('uq_document_relation_from_id'))
    )
    with op.batch_alter_table('document_relation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_relation_from_id'), ['from_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_relation_to_id'), ['to_id'], unique=False)

    op.create_table('message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('source_instance_id', sa.Integer(), nullable=True),
    sa.Column('target_org_id', sa.Integer(), nullable=True),
    sa.Column('directive_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('target_instance_id', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['directive_id'], ['document.id'], name=op.f('fk_message_directive_id_document')),
    sa.ForeignKeyConstraint(['source_instance_id'], ['process_instance.id'], name=op.f('fk_message_source_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['target_instance_id'], ['process_instance.id'], name=op.f('fk_message_target_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['target_org_id'], ['organisation.id'], name=op.f('fk_message_target_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message'))
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index('ix_message_pending', ['status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_source_instance_id'), ['source_instance_id'], unique=False)

    op.create_table('timer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('guid', sa.String(length=36), nullable=False),
    sa.Column('bpmn_id', sa.String(length=120), nullable=False),
    sa.Column('due_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fired', sa.Boolean(), nullable=False),
    sa.Column('fired_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_timer_instance_id_process_instance'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timer')),
    sa.UniqueConstraint('instance_id', 'guid', name=op.f('uq_timer_instance_id'))
    )
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.create_index('ix_timer_due', ['fired', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_timer_instance_id'), ['instance_id'], unique=False)

    op.create_table('workflow_part',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('props', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_workflow_part_instance_id_process_instance'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_part')),
    sa.UniqueConstraint('instance_id', 'key', name=op.f('uq_workflow_part_instance_id'))
    )
    with op.batch_alter_table('workflow_part', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workflow_part_instance_id'), ['instance_id'], unique=False)

    op.create_table('workflow_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('guid', sa.String(length=36), nullable=False),
    sa.Column('part_key', sa.String(length=40), nullable=False),
    sa.Column('props', sa.JSON(), nullable=False),
    sa.Column('data_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_workflow_task_instance_id_process_instance'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_task')),
    sa.UniqueConstraint('instance_id', 'guid', name=op.f('uq_workflow_task_instance_id'))
    )
    with op.batch_alter_table('workflow_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workflow_task_instance_id'), ['instance_id'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_audit_event_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], name=op.f('fk_audit_event_org_id_organisation')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_audit_event_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_instance_id'), ['instance_id'], unique=False)

    op.create_table('human_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('guid', sa.String(length=36), nullable=False),
    sa.Column('bpmn_id', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('candidate_users', sa.JSON(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('due_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['user_account.id'], name=op.f('fk_human_task_assignee_id_user_account')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['user_account.id'], name=op.f('fk_human_task_completed_by_id_user_account')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_human_task_document_id_document')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_human_task_instance_id_process_instance'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], name=op.f('fk_human_task_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_human_task')),
    sa.UniqueConstraint('instance_id', 'guid', name=op.f('uq_human_task_instance_id'))
    )
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_human_task_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_human_task_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_human_task_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_human_task_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_human_task_status_due', ['status', 'due_at'], unique=False)

    op.create_table('human_task_candidate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('human_task_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['human_task_id'], ['human_task.id'], name=op.f('fk_human_task_candidate_human_task_id_human_task'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], name=op.f('fk_human_task_candidate_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_human_task_candidate'))
    )
    with op.batch_alter_table('human_task_candidate', schema=None) as batch_op:
        batch_op.create_index('ix_candidate_org_role', ['org_id', 'role', 'human_task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_human_task_candidate_human_task_id'), ['human_task_id'], unique=False)

    with op.batch_alter_table('document') as batch:  # batch: SQLite cannot ALTER constraints in place
        batch.create_foreign_key(
            op.f('fk_document_issuing_instance_id_process_instance'), 'process_instance', ['issuing_instance_id'], ['id']
        )
    # ### commands auto generated by Alembic - please adjust! ###
    # ### end Alembic commands ###


def downgrade():
    with op.batch_alter_table('document') as batch:
        batch.drop_constraint(op.f('fk_document_issuing_instance_id_process_instance'), type_='foreignkey')
    op.drop_table('human_task_candidate')
    op.drop_table('human_task')
    op.drop_table('audit_event')
    op.drop_table('workflow_task')
    op.drop_table('workflow_part')
    op.drop_table('timer')
    op.drop_table('message')
    op.drop_table('document_relation')
    op.drop_table('document_recipient')
    op.drop_table('process_instance')
    op.drop_table('document')
    op.drop_table('user_role')
    op.drop_table('process_definition')
    op.drop_table('api_token')
    op.drop_table('user_account')
    op.drop_table('document_counter')
    op.drop_table('organisation')
    op.drop_table('json_data')
