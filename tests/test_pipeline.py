"""The notebook pipeline: prose-only sync keeps outputs and refuses code changes."""

from __future__ import annotations

import nbformat
import pytest
from notebook_pipeline import RECORD_KEY, inputs_digest, read_source, sync_prose

MD = """\
---
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# 9.9 Example

{prose}

```{{code-cell}} ipython3
{code}
```
"""


def _executed_pair(folder, prose="Old prose.", code="print(1)"):
    md = folder / "09-9-example.md"
    md.write_text(MD.format(prose=prose, code=code))
    nb = read_source(md)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nb.cells[1].execution_count = 1
    nb.metadata[RECORD_KEY] = {"inputs_sha256": inputs_digest(nb)}
    nbformat.write(nb, md.with_suffix(".ipynb"))
    return md


def test_sync_copies_edited_prose_and_keeps_outputs(tmp_path):
    md = _executed_pair(tmp_path)
    md.write_text(MD.format(prose="New prose.", code="print(1)"))
    sync_prose(md)
    nb = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    assert "New prose." in nb.cells[0].source
    assert nb.cells[1].outputs[0]["text"] == "1\n"


def test_sync_refuses_when_code_changed(tmp_path):
    md = _executed_pair(tmp_path)
    md.write_text(MD.format(prose="Old prose.", code="print(2)"))
    with pytest.raises(SystemExit, match="code cells changed"):
        sync_prose(md)
