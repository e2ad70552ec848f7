"""The synthetic Hermes dataset (`tracehouse generate`, `tracehouse run`) and its ground truth."""
