#!/usr/bin/env python3
"""Writes docs/examples/budgets.xlsx from docs/examples/budgets.csv (same rows, one sheet).

Run when the CSV sample changes: `python3 -m venv /tmp/v && /tmp/v/bin/pip install openpyxl &&
/tmp/v/bin/python scripts/make-budgets-xlsx.py`. Amounts are written as numbers (as a person
would type them into Excel); periods and everything else as text.
"""
import csv
import pathlib

from openpyxl import Workbook

root = pathlib.Path(__file__).resolve().parent.parent
source = root / "docs" / "examples" / "budgets.csv"
target = root / "docs" / "examples" / "budgets.xlsx"

workbook = Workbook()
sheet = workbook.active
sheet.title = "Budgets"
with source.open(newline="") as f:
    rows = list(csv.reader(f))
sheet.append(rows[0])
numeric = {rows[0].index("amount"), rows[0].index("auto_approve_threshold")}
for row in rows[1:]:
    cells = []
    for i, cell in enumerate(row):
        if i in numeric and cell:
            cells.append(int(cell.split(".")[0]) if cell.endswith(".00") else cell)
        else:
            cells.append(cell if cell else None)
    sheet.append(cells)
workbook.save(target)
print(f"wrote {target}")
