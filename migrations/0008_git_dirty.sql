-- Whether an apply ran from a working tree whose spec files differ from the recorded commit
-- (modified, staged or untracked under the spec directory): git_sha alone then credits a commit
-- that does not contain what was applied. The applied revision and promotions read it through
-- their run.
ALTER TABLE labctl.runs ADD COLUMN git_dirty boolean NOT NULL DEFAULT false;
