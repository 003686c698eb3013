DROP TABLE change_imports;
