DROP INDEX changes_long_windows;
