"""Request and response bodies of the REST API (pydantic); nothing here carries a password hash."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class TokenOut(BaseModel):
    """A bearer token (shown once)."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"


class UserIn(BaseModel):
    """A new user."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=8, max_length=1000)
    role: Literal["admin", "annotator", "agent"]


class UserOut(BaseModel):
    """A user as the API shows it."""

    id: int
    name: str
    role: str


class ApiTokenIn(BaseModel):
    """A long-lived API token for a user (agents, scripts)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field("", max_length=100)


class MemberIn(BaseModel):
    """A user to add to a project."""

    model_config = ConfigDict(extra="forbid")
    user: str = Field(min_length=1, max_length=100)


class ProjectOut(BaseModel):
    """A project, its settings and where its engine stands."""

    id: int
    name: str
    status: str
    message: str
    settings: dict[str, Any]
    progress: dict[str, Any]
    tasks: dict[str, int]


class TaskOut(BaseModel):
    """A leased task: what the annotator may see (never whether it is gold, nor others' answers)."""

    task_id: int
    project: str
    mode: str
    lease_expires: str
    features: dict[str, float]
    place: dict[str, Any] | None
    prediction: float
    uncertainty: float | None
    model_version: int


class AnswerIn(BaseModel):
    """An annotator's label or an agent's measurement (with what it cost, for agents).

    In a *verify* project ``{"accept": true}`` takes the model's prediction
    shown with the task; a ``value`` corrects it.
    """

    model_config = ConfigDict(extra="forbid")
    value: float | None = Field(None, allow_inf_nan=False)
    accept: bool = False
    cost: float | None = Field(None, ge=0, allow_inf_nan=False)
    features: dict[str, float] | None = Field(
        None,
        description="measure projects: the inputs the measurement reported, by the task's "
        "feature names (trained on instead of the pool row's)",
    )

    @field_validator("features")
    @classmethod
    def _finite(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is not None and not all(math.isfinite(v) for v in value.values()):
            raise ValueError("features must be finite numbers")
        return value

    @model_validator(mode="after")
    def _one_of(self) -> AnswerIn:
        if (self.value is None) == (not self.accept):
            raise ValueError("give a value, or accept: true (verify projects), not both")
        return self


class AnswerOut(BaseModel):
    """The recorded answer; ``created`` is false when the same answer was recorded before."""

    task_id: int
    value: float
    created: bool


class MyTaskOut(BaseModel):
    """One of the caller's assignments."""

    task_id: int
    status: str
    value: float | None
    lease_expires: str


class AnnotatorOut(BaseModel):
    """An annotator's record in a project (admins only)."""

    user: str
    answers: int
    gold_answers: int
    gold_mae: float | None
    gold_bias: float | None
    bias: float | None = Field(None, description="additive bias of the joint fit")
    noise: float | None = Field(None, description="noise s.d. of the joint fit")
    flagged: bool


class QualityOut(BaseModel):
    """A project's agreement and annotator quality (admins only)."""

    target: str = Field(description="numeric or categorical")
    level: str = Field(description="Krippendorff's level of measurement: interval or nominal")
    krippendorff_alpha: float | None = Field(
        description="agreement beyond chance over the overlapping answers (None: no overlap)"
    )
    tasks: int = Field(description="tasks with at least one answer")
    answers: int
    accuracy: dict[str, float] | None = Field(
        None, description="categorical: each annotator's Dawid-Skene accuracy"
    )
    flagged: list[str] = Field(description="annotators far off (the joint fit)")
