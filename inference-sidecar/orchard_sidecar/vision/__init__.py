"""Vision models through mlx-vlm: loading (with the EOS a processor may lack), images from the request,
prompt inputs, and the one-at-a-time generation queue the engine runs for them."""
