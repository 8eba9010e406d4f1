# Runs torch_bench.py in this process, then prints the process's peak RSS (ru_maxrss) in bytes.
import resource, runpy, sys
sys.argv = ["torch_bench.py"] + sys.argv[1:]
import os
runpy.run_path(os.environ.get("TORCH", "/work/shared/bench/torch_bench.py"), run_name="__main__")
print('{"peak_rss_bytes": %d}' % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024))
