-- 0016_agent_templates.sql — agent templates (issue 18, reference-api §4
-- agent-api /agent/templates, the ORM table agent_templates): a saved
-- agent setup that POST /agent/run and /agent/run-stream take as
-- template_id, the body overriding its settings. Rules for this file:
-- sql/README.md.
--
--   * template_id is "atpl-<8 hex>", the id clients use.
--   * tools is a JSON array of tool names (built-in or stored tools),
--     checked to exist when the template is saved; a stored tool deleted
--     later makes runs of the template fail with a 400 naming it.
--   * visibility: private (its creator and admins) or public (anyone may
--     read and run it; only its creator or an admin changes it).
--   * tenant_id as the other tables of the multitenancy migration (§11).

CREATE TABLE IF NOT EXISTS agent_templates (
  id              BIGINT        NOT NULL AUTO_INCREMENT,
  template_id     VARCHAR(64)   NOT NULL,
  name            VARCHAR(255)  NOT NULL,
  description     TEXT          NULL,
  agent_type      VARCHAR(32)   NOT NULL DEFAULT 'react',
  model           VARCHAR(256)  NULL,
  system_prompt   MEDIUMTEXT    NULL,
  tools           TEXT          NULL,
  max_iterations  INT           NOT NULL DEFAULT 10,
  max_tokens      BIGINT        NULL,
  visibility      VARCHAR(16)   NOT NULL DEFAULT 'private',
  created_by      VARCHAR(128)  NULL,
  tenant_id       VARCHAR(64)   NULL,
  created_at      DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at      DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                                ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_agent_templates_id (template_id),
  KEY idx_agent_templates_owner (created_by, id),
  KEY idx_agent_templates_visibility (visibility, id),
  KEY idx_agent_templates_tenant (tenant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
