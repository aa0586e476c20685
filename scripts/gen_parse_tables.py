"""Rewrite grammar/zkcu.tables.json, the stored LALR tables of grammar/zkcu.lark
(zkcc/frontend/parse_tables.py), after the grammar changes: `python scripts/gen_parse_tables.py`.
"""

from zkcc.frontend import parse_tables

if __name__ == "__main__":
    parse_tables.write(parse_tables.GRAMMAR_PATH.read_text())
    print(f"wrote {parse_tables.TABLES_PATH}")
