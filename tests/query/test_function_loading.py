"""The function registry loads once, whole, however many threads render first."""
import subprocess
import sys
import textwrap


def test_concurrent_first_lookups_all_find_the_function():
    """A fresh process: 16 threads ask for sumSeries at once, before anything loaded the
    function modules; every one must get it (the HTTP API renders on several threads)."""
    code = textwrap.dedent("""
        import threading
        from tsstore.query.functions import loader
        barrier = threading.Barrier(16)
        found = []
        def ask():
            barrier.wait()
            found.append(loader.get("sumSeries") is not None)
        threads = [threading.Thread(target=ask) for _ in range(16)]
        for t in threads: t.start()
        for t in threads: t.join()
        print(sum(found), len(found))
    """)
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
        assert out.stdout.split() == ["16", "16"], out.stdout + out.stderr
