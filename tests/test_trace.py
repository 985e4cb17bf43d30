from ipclab import context
from ipclab.workers import processes
from ipclab.trace import Tracer


def test_events_from_several_processes_share_one_time_axis():
    tracer = Tracer(workers=3)
    mp = context()
    procs = [mp.Process(target=processes.nap, args=(0.2 * i, 0, tracer.writer(f"napper {i}"))) for i in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(10)
    spans = tracer.spans()
    assert [s.worker for s in sorted(spans, key=lambda s: s.end)] == ["napper 0", "napper 1", "napper 2"]
    for i, span in enumerate(sorted(spans, key=lambda s: s.worker)):
        assert span.duration >= 0.2 * i  # each napped as long as it was told
    events = tracer.events()
    assert [e.t for e in events] == sorted(e.t for e in events)
    assert tracer.workers() == ["napper 0", "napper 1", "napper 2"]


def test_capacity_overflow_is_counted_not_written():
    tracer = Tracer(workers=1, capacity=3)
    w = tracer.writer("w")
    for i in range(5):
        w.mark("put", i)
    assert [e.value for e in tracer.events()] == [0, 1, 2]
    assert tracer.dropped() == 2


def test_no_more_writers_than_slots():
    tracer = Tracer(workers=1)
    tracer.writer("a")
    try:
        tracer.writer("b")
    except ValueError as exc:
        assert "room for 1" in str(exc)
    else:
        raise AssertionError("a second writer was handed out")
