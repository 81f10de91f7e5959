-- 0006_chat_apps.sql — conversations that keep what a chat really did,
-- prompt templates with versions (shared by the Agent API's /prompts and
-- the proxy's /api/v1/templates), apps callable by keys scoped to them
-- (issue 15).

-- title_custom: the owner renamed it (the first message no longer names
-- it). system_prompt and knowledge_base_id: what the next /chat of the
-- conversation uses when the request does not say.
ALTER TABLE conversations
  ADD COLUMN IF NOT EXISTS title_custom      TINYINT(1)  NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS system_prompt     TEXT        NULL,
  ADD COLUMN IF NOT EXISTS knowledge_base_id VARCHAR(64) NULL,
  ADD COLUMN IF NOT EXISTS app_id            VARCHAR(64) NULL,
  ADD COLUMN IF NOT EXISTS total_tokens      BIGINT      NOT NULL DEFAULT 0;

-- status: complete, partial (the client left or the model broke during
-- the answer: content is what was produced) or error. sources: the
-- retrieval a grounded answer cites (JSON array).
ALTER TABLE messages
  ADD COLUMN IF NOT EXISTS status      VARCHAR(16) NOT NULL DEFAULT 'complete',
  ADD COLUMN IF NOT EXISTS sources     JSON        NULL,
  ADD COLUMN IF NOT EXISTS latency_ms  INT         NULL;

-- Template names are one namespace (the proxy looks them up by name).
-- deleted_at: a deleted template keeps its versions until purged; live is
-- 1 while it is not deleted (NULL otherwise, so names can be reused).
ALTER TABLE prompt_templates
  ADD COLUMN IF NOT EXISTS deleted_at DATETIME(3) NULL,
  ADD COLUMN IF NOT EXISTS live       TINYINT     NULL DEFAULT 1;

CREATE UNIQUE INDEX IF NOT EXISTS uk_prompt_templates_name_live
  ON prompt_templates (name, live);

-- Every version a template had: the row of prompt_templates is the
-- newest; a PUT copies the previous one here first.
CREATE TABLE IF NOT EXISTS prompt_template_versions (
  id            BIGINT       NOT NULL AUTO_INCREMENT,
  template_id   VARCHAR(64)  NOT NULL,
  version       INT          NOT NULL,
  content       MEDIUMTEXT   NOT NULL,
  variables     JSON         NULL,
  description   TEXT         NULL,
  model         VARCHAR(128) NULL,
  created_by    VARCHAR(128) NULL,
  created_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_prompt_template_versions (template_id, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- An app's key: usable only on that app's routes (NULL: a /v1 key).
ALTER TABLE api_keys
  ADD COLUMN IF NOT EXISTS app_id VARCHAR(64) NULL;
CREATE INDEX IF NOT EXISTS idx_api_keys_app ON api_keys (app_id);

-- The app a call was made for: apps' statistics are computed from these
-- rows (end_user: the caller's "user" field, else the key or the user).
ALTER TABLE api_usage
  ADD COLUMN IF NOT EXISTS app_id   VARCHAR(64)  NULL,
  ADD COLUMN IF NOT EXISTS end_user VARCHAR(128) NULL;
CREATE INDEX IF NOT EXISTS idx_api_usage_app ON api_usage (app_id, created_at);

-- Apps are deleted softly: their usage rows and keys stay explainable.
ALTER TABLE apps
  ADD COLUMN IF NOT EXISTS deleted_at DATETIME(3) NULL;
