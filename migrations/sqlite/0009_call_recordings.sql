-- A link to the call's recording, when its source gives one (Asterisk's
-- recordingfile through the source's recording_url).
ALTER TABLE calls ADD COLUMN recording_url TEXT;
