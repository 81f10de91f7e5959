-- tests/bench/proxy/chat.lua — wrk: one non-streaming chat completion.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"mock-chat","messages":[{"role":"user",' ..
    '"content":"benchmark me"}],"temperature":0.2}'
