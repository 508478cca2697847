"""The Space app the gated deploy pushes: a Gradio page that says which model it serves."""

import os

import gradio as gr

MODEL = os.environ.get("MODEL_REPO_ID", "my-org/my-model")

demo = gr.Interface(fn=lambda text: f"{MODEL}: {text[::-1]}", inputs="text", outputs="text")

if __name__ == "__main__":
    demo.launch()
