"""Switching user and group in the child (needs root).

The children are system binaries: an interpreter under a home directory
that other users cannot enter could not be executed once the ids changed.
"""

from __future__ import annotations

import os
import pwd

import pytest

ID = "/usr/bin/id"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="switching user or group needs root"
)


def _someone_else():
    known = {entry.pw_name: entry for entry in pwd.getpwall()}
    for name in ("nobody", "daemon"):
        if name in known:
            return known[name]
    pytest.skip("no 'nobody' or 'daemon' account to switch to")


def ids(rec):
    return rec.out().split()


def test_uid_and_gid(reactor, run, cwd):
    """uid and gid switch the user, the group and the supplementary groups."""
    user = _someone_else()
    rec = run(reactor, ID, ["id", "-u"], uid=user.pw_uid, gid=user.pw_gid, path=cwd)
    assert ids(rec) == [str(user.pw_uid).encode()]
    rec = run(reactor, ID, ["id", "-G"], uid=user.pw_uid, gid=user.pw_gid, path=cwd)
    expected = sorted(os.getgrouplist(user.pw_name, user.pw_gid))
    assert sorted(int(g) for g in ids(rec)) == expected


def test_uid_alone_takes_users_group(reactor, run):
    """uid alone switches to that user's own group and groups."""
    user = _someone_else()
    rec = run(reactor, ID, ["id", "-g"], uid=user.pw_uid)
    assert ids(rec) == [str(user.pw_gid).encode()]


def test_gid_alone_switches_only_group(reactor, run):
    """gid alone changes the group and keeps user and supplementary groups."""
    user = _someone_else()
    rec = run(reactor, ID, ["id", "-u", "-g"], gid=user.pw_gid)
    rec_u = run(reactor, ID, ["id", "-u"], gid=user.pw_gid)
    rec_g = run(reactor, ID, ["id", "-g"], gid=user.pw_gid)
    rec_G = run(reactor, ID, ["id", "-G"], gid=user.pw_gid)
    assert rec.ended is not None
    assert ids(rec_u) == [b"0"]
    assert ids(rec_g) == [str(user.pw_gid).encode()]
    ours = {str(g).encode() for g in os.getgroups()}
    assert ours <= set(ids(rec_G))


def test_switched_user_is_refused_roots_file(reactor, run, tmp_path):
    """The child really runs as the other user: a file only root may read
    is refused to it."""
    user = _someone_else()
    secret = tmp_path / "secret"
    secret.write_bytes(b"root only")
    secret.chmod(0o600)
    tmp_path.chmod(0o755)
    rec = run(reactor, "/bin/cat", ["cat", str(secret)], uid=user.pw_uid)
    assert rec.ended.value.exitCode == 1
    assert b"Permission denied" in rec.out(2)
    rec = run(reactor, "/bin/cat", ["cat", str(secret)])
    assert rec.out() == b"root only"
