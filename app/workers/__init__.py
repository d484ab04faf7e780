"""Qt threading for MSP Studio (no widgets): the MSP worker thread, the classic-codec pool,
the job service that schedules both, and small file/loader jobs."""

__all__: list[str] = []
