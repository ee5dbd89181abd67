"""lr_serving: sentiment of a review with TF-IDF + logistic regression (FunctionBench's
ml_lr_prediction).

The model (a scikit-learn Pipeline, model.joblib) is trained on synthetic reviews by
functions/generate_inputs.py and loaded here, at import, so that it is part of the snapshot.
"""
import os

import joblib

HERE = os.path.dirname(os.path.abspath(__file__))

with open(os.path.join(HERE, "model.joblib"), "rb") as f:   # read fully; no descriptor stays open
    MODEL = joblib.load(f)


def handler(event, context):
    review = event["review"]
    label = MODEL.predict([review])[0]
    probability = float(MODEL.predict_proba([review])[0].max())
    result = {"label": str(label), "probability": round(probability, 6)}
    result["verified"] = bool(str(label) == event.get("expected_label"))
    return result
