"""The floor's paper as PDF files: the tally record, the warehouse receipt (进仓单) and the
handover record (交接单), A4, drawn with fpdf2 in the face sheets' CJK font (bench/README.md
says why fpdf2). Pure functions from a document struct to bytes: no database, no Litestar."""
