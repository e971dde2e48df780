// Testbeds shape real links and set real cgroup limits: one at a time, so rates are measured alone.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
