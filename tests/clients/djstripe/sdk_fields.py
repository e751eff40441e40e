"""Print the fields stripe-python declares on the given resource modules, as JSON.

Run by both the project's Python (stripe-python 16, endive) and the dj-stripe environment's
(stripe-python 15, dahlia), so the two SDKs' own generated classes can be compared: every field
and nested class is named by its dotted path, with its annotation as written.
"""

import ast
import json
import os
import sys

import stripe

root = os.path.dirname(stripe.__file__)
fields = {}
for module in sys.argv[1:]:
    with open(os.path.join(root, f"{module}.py"), encoding="utf-8") as source:
        tree = ast.parse(source.read())

    def walk(node, prefix, module=module):
        for item in node.body:
            if isinstance(item, ast.ClassDef):
                walk(item, f"{prefix}{item.name}.")
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                fields[f"{module}:{prefix}{item.target.id}"] = ast.unparse(item.annotation)

    walk(tree, "")
json.dump({"api_version": stripe.api_version, "fields": fields}, sys.stdout)
