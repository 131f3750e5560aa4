"""Reports for people: terminal tables, report files, HTML pages."""
