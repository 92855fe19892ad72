"""Saves never destroy a good model: non-finite parameters, the model as the predictions'
output, symlinks, files that are not regular files, file modes, and the temporary files
of a process killed mid-save."""

import os
import stat
import subprocess
import sys

import numpy as np
import pytest

import fastprop as fp
from fastprop.cli import main

posix = pytest.mark.skipif(sys.platform == "win32", reason="POSIX files")


@pytest.fixture
def saved(tmp_path):
    net = fp.Network([3, 4, 1], seed=0)
    path = tmp_path / "model.npz"
    net.save(path)
    return net, path


def test_non_finite_parameters_are_not_saved_and_the_old_file_stays(saved):
    net, path = saved
    before = path.read_bytes()
    net.params[2] = np.nan
    with pytest.raises(fp.ModelFileError, match="NaN or infinity.*left as it was"):
        net.save(path)
    assert path.read_bytes() == before
    assert fp.load(path).params.tobytes() != net.params.tobytes()


def test_predict_refuses_to_write_over_the_model(saved, tmp_path, capsys):
    _, path = saved
    csv = tmp_path / "x.csv"
    np.savetxt(csv, np.ones((4, 3)), delimiter=",")
    before = path.read_bytes()
    assert main(["predict", str(path), str(csv), "-o", str(path)]) == 2
    assert "is the model file" in capsys.readouterr().err
    assert path.read_bytes() == before
    link = tmp_path / "alias.npz"
    link.symlink_to(path)
    assert main(["predict", str(path), str(csv), "-o", str(link)]) == 2
    assert path.read_bytes() == before


@posix
def test_saving_through_a_symlink_writes_its_target(saved, tmp_path):
    net, path = saved
    link = tmp_path / "latest.npz"
    link.symlink_to(path)
    net.params[0] += 1
    net.save(link)
    assert link.is_symlink() and os.readlink(link) == str(path)
    assert fp.load(path).params.tobytes() == net.params.tobytes()


@posix
@pytest.mark.parametrize("kind", ["fifo", "directory"])  # (a device: the same check)
def test_a_path_that_is_not_a_regular_file_is_refused(tmp_path, kind):
    net = fp.Network([2, 1], seed=0)
    if kind == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
    else:
        path = tmp_path / "folder"
        path.mkdir()
    before = os.stat(path)
    with pytest.raises(ValueError, match="not a regular file"):
        net.save(path)
    after = os.stat(path)
    assert stat.S_IFMT(after.st_mode) == stat.S_IFMT(before.st_mode)
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".fastprop-")]


def test_an_empty_path_is_refused():
    with pytest.raises(ValueError, match="path is empty"):
        fp.Network([2, 1]).save("")


@posix
@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_umask_s_mode(tmp_path, umask, expected):
    old = os.umask(umask)
    try:
        fp.Network([2, 1]).save(tmp_path / "m.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "m.npz").st_mode) == expected


@posix
def test_saving_over_a_file_keeps_its_mode(saved):
    net, path = saved
    os.chmod(path, 0o640)
    net.save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


@posix
def test_temporary_files_of_a_killed_process_are_removed_by_the_next_save(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".fastprop-{dead.pid}-abc123.tmp"
    stale.write_bytes(b"x" * 1000)
    alive = tmp_path / f".fastprop-{os.getppid()}-def456.tmp"  # a running process
    alive.write_bytes(b"y")
    other = tmp_path / ".fastprop-notes.txt"
    other.write_bytes(b"z")
    fp.Network([2, 1]).save(tmp_path / "m.npz")
    assert not stale.exists() and alive.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".fastprop-")) \
        == sorted([alive.name, other.name])


@posix
def test_a_save_killed_mid_write_leaves_the_old_file_and_a_recognisable_temporary(saved):
    net, path = saved
    before = path.read_bytes()
    code = (
        "import os, numpy as np, fastprop as fp\n"
        "import fastprop._files as f\n"
        "net = fp.Network([3, 4, 1], seed=1)\n"
        "def write(fh):\n"
        "    fh.write(b'partial'); fh.flush(); os.kill(os.getpid(), 9)\n"
        f"f.atomic_write({str(path)!r}, write)\n")
    proc = subprocess.run([sys.executable, "-c", code])
    assert proc.returncode == -9
    assert path.read_bytes() == before
    left = [p for p in path.parent.iterdir() if p.name.startswith(".fastprop-")]
    assert len(left) == 1 and left[0].name.endswith(".tmp")
    net.save(path)  # the next save removes it
    assert not left[0].exists()
