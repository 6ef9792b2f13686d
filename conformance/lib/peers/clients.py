"""Client implementations for the interop matrix: what each needs installed, and whether it is
usable here. The programs that drive them live with the interop shims."""

import json
import os
import shutil
import subprocess

from .system import Unavailable, ensure_packages, package_version

PYTHON = "/usr/bin/python3"


class Client:
    name = ""
    packages = ()  # Debian packages
    module = None  # a Python module that must import with /usr/bin/python3

    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.env = {}  # what a program using this client needs in its environment

    def install(self):
        ensure_packages(self.packages)
        why = self.available()
        if why:
            raise Unavailable(why)

    def available(self):
        """None when usable, else why not."""
        missing = [p for p in self.packages if package_version(p) is None]
        if missing:
            return "Debian package(s) not installed: %s" % " ".join(missing)
        if self.module:
            result = subprocess.run([PYTHON, "-c", "import " + self.module],
                                    capture_output=True, text=True)
            if result.returncode != 0:
                lines = result.stderr.strip().splitlines()
                return "%s cannot import %s: %s" % (PYTHON, self.module,
                                                    lines[-1] if lines else "no output")
        return None


class ProtonPython(Client):
    name = "proton-python"
    packages = ("python3-qpid-proton",)
    module = "proton"


class ProtonCpp(Client):
    # Headers and library only: CMake builds the programs that use it.
    name = "proton-cpp"
    packages = ("libqpid-proton-cpp12-dev",)


class Uamqp(Client):
    name = "uamqp"
    packages = ("python3-uamqp",)
    module = "uamqp"


class Rhea(Client):
    """rhea, a JavaScript AMQP 1.0 implementation, from the npm registry into STATE/rhea."""

    name = "rhea"
    version = "3.0.5"

    def __init__(self, state_dir):
        super().__init__(state_dir)
        self.prefix = os.path.join(state_dir, "rhea")
        self.env = {"NODE_PATH": os.path.join(self.prefix, "node_modules")}

    def _installed_version(self):
        manifest = os.path.join(self.prefix, "node_modules", "rhea", "package.json")
        try:
            with open(manifest) as f:
                return json.load(f).get("version")
        except (OSError, ValueError):
            return None

    def install(self):
        if not (shutil.which("node") and shutil.which("npm")):
            ensure_packages(["nodejs", "npm"])
        if self._installed_version() != self.version:
            os.makedirs(self.prefix, exist_ok=True)
            # --prefer-offline: a package in npm's cache is used without asking the registry.
            command = ["npm", "install", "--prefix", self.prefix, "--prefer-offline",
                       "--no-audit", "--no-fund", "--no-save", "rhea@" + self.version]
            try:
                result = subprocess.run(command, capture_output=True, text=True, timeout=600)
            except subprocess.TimeoutExpired:
                raise Unavailable("npm install rhea@%s took more than 10 minutes" % self.version)
            if result.returncode != 0:
                errors = [line for line in result.stderr.splitlines()
                          if line.lower().startswith(("npm err", "npm error"))]
                raise Unavailable("npm install rhea@%s failed: %s" % (
                    self.version, " / ".join(errors[:4]) or result.stderr.strip()[-300:]))
        why = self.available()
        if why:
            raise Unavailable(why)

    def available(self):
        if shutil.which("node") is None:
            return "node is not installed (peer rhea install: apt-get install nodejs npm)"
        installed = self._installed_version()
        if installed != self.version:
            return "rhea %s is not in %s (peer rhea install), found %s" % (
                self.version, self.prefix, installed or "none")
        return None


CLIENTS = {c.name: c for c in (ProtonPython, ProtonCpp, Uamqp, Rhea)}
