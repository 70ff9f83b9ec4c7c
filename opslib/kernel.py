"""The run's kernel, started before papermill is even imported.

Importing papermill (~1 s) and starting a kernel (~1 s) do not depend on each other, so the
kernel boots in its own process while this one imports. papermill then executes the notebook
on that kernel (nbclient accepts a ready kernel manager), and the runner stops it at once when
the notebook is done: every output is already in hand by then.

Kernels talk over Unix sockets in a private folder: TCP port picking races when many runs start
together, and jupyter_client's default ipc path ("kernel-ipc" in the working directory) is
shared by every run started in the same place.
"""

import asyncio
import os
import shutil
import signal
import tempfile
import threading
import time

# Modules most notebooks import first; loading them while papermill is still importing takes
# them off the first cell's time. Silent, outside history: the notebook's numbering is unchanged.
# jupyter_client imported by two threads at once (the kernel's and papermill's, or several runs of a
# batch) can meet a partially initialized module: "cannot import name 'AsyncKernelManager'". One at a time.
IMPORTS = threading.Lock()

WARM_UP = "import opslib.runbook, opslib.aws, opslib.checks, boto3, botocore.session, IPython.display"


def ready_client():
    """jupyter_client's async client, but ready as soon as the kernel has answered kernel_info and IOPub
    is connected. Its own wait_for_ready then waits for 0.2 s of IOPub silence, and a run waits twice
    (the runner, then nbclient): 0.4 s of every run. nbclient follows a cell's output by its request
    id, so the kernel_info exchange's status messages left on IOPub are skipped all the same."""
    from queue import Empty

    from jupyter_client.asynchronous import AsyncKernelClient

    class ReadyClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
            while True:
                self.kernel_info()
                try:
                    msg = await self.shell_channel.get_msg(timeout=1)
                except Empty:
                    msg = None
                if msg is not None and msg["msg_type"] == "kernel_info_reply":
                    try:
                        await self.iopub_channel.get_msg(timeout=0.2)  # the welcome, or the request's status
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        return
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

    return ReadyClient


class EarlyKernel:
    def __init__(self, cwd: str, env: dict, kernel_name: str = "python3", specs=None):
        """`specs`: a KernelSpecManager to find `kernel_name` in (a batch's zygote), else Jupyter's own."""
        self.folder = tempfile.mkdtemp(prefix="opslib-kernel-")
        self.error: BaseException | None = None
        self.manager = None
        self.ready_after = None  # seconds from start to a kernel answering, for benchmarks/
        self.killed = False
        self._specs = specs
        self._thread = threading.Thread(target=self._start, args=(cwd, env, kernel_name), daemon=True)
        self._thread.start()

    def _start(self, cwd: str, env: dict, kernel_name: str) -> None:
        began = time.perf_counter()
        try:
            with IMPORTS:
                from jupyter_client import AsyncKernelManager  # async: papermill's client must not block its loop

            found = {"kernel_spec_manager": self._specs} if self._specs is not None else {}
            km = AsyncKernelManager(kernel_name=kernel_name, transport="ipc", ip=f"{self.folder}/kernel", **found)
            km.client_factory = ready_client()  # papermill's client too
            asyncio.run(km.start_kernel(cwd=cwd, env=env, extra_arguments=["--HistoryManager.hist_file=:memory:"]))
            self.manager = km
            if self.killed:  # a stop arrived while it was starting
                self._kill_process()
                raise RuntimeError("the run was stopped before its kernel was ready")
            asyncio.run(self._warm_up(km))
            self.ready_after = time.perf_counter() - began
        except BaseException as exc:  # reported by ready_manager()'s caller
            self.error = exc

    @staticmethod
    async def _warm_up(km) -> None:
        client = km.client()  # its parent is the manager: "alive" means the process, not a heartbeat under load
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=120)
            client.execute(WARM_UP, silent=True, store_history=False)
        finally:
            client.stop_channels()

    def ready_manager(self):
        """The started kernel manager, or None to let papermill start one itself."""
        self._thread.join()
        return self.manager if self.error is None else None

    def kill(self) -> None:
        """Stop at once (a signal handler calls this): whatever papermill waits on ends."""
        self.killed = True
        self._kill_process()

    def _kill_process(self) -> None:
        try:
            pid = self.manager.provisioner.pid if self.manager is not None and self.manager.provisioner else None
            if pid:
                os.kill(pid, signal.SIGKILL)
        except (OSError, AttributeError):
            pass

    def stop(self, timeout: float = 10.0) -> None:
        """Shut the kernel down; bounded, so a stuck start can never hold the run's filing."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            self.kill()
            self._thread.join(timeout)
        if self.manager is not None:
            try:
                asyncio.run(asyncio.wait_for(self._shutdown(self.manager), timeout))
            except Exception:  # already dead, or not answering: make sure of it
                self._kill_process()
        shutil.rmtree(self.folder, ignore_errors=True)

    @staticmethod
    async def _shutdown(km) -> None:
        try:
            if km.has_kernel:
                await km.shutdown_kernel(now=True)
        finally:
            await km.cleanup_resources()
