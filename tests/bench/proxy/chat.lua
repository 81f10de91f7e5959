-- tests/bench/proxy/chat.lua — wrk: one non-streaming chat completion,
-- for the model BENCH_MODEL (mock-chat unless set).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"' .. (os.getenv("BENCH_MODEL") or "mock-chat") ..
    '","messages":[{"role":"user","content":"benchmark me"}],' ..
    '"temperature":0.2}'
