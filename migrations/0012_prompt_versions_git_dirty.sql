-- Whether a prompt version was first applied from a working tree whose spec files differed from
-- its git_sha (uncommitted edits): that commit then does not contain the version's content. The
-- MLflow prompt mirror tags the versions it registers with both.
ALTER TABLE labctl.prompt_versions ADD COLUMN git_dirty boolean NOT NULL DEFAULT false;
