DROP INDEX changes_risk;
DROP INDEX changes_fulltext;
