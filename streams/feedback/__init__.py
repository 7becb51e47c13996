"""What users told us: ``bunri feedback report`` ranks corrections and unresolved questions for the content team."""
