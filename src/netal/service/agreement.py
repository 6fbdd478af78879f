"""A project's quality read-out: Krippendorff's alpha and the joint fit's verdicts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from netal.service.categorical import dawid_skene, krippendorff_alpha
from netal.service.projects import project_aggregate, project_answers
from netal.service.schemas import QualityOut
from netal.service.tables import Project, User


def project_quality(session: Session, project: Project) -> QualityOut:
    """Agreement over the project's overlapping answers (gold included) and who is flagged.

    Alpha is nominal for a categorical project, interval for a numeric one;
    a categorical project also reports each annotator's Dawid-Skene accuracy.
    """
    answers, gold = project_answers(session, project.id)
    categorical = project.config.get("target") == "categorical"
    level = "nominal" if categorical else "interval"
    names = dict(
        session.execute(
            select(User.id, User.name).where(User.id.in_({a for _, a, _ in answers}))
        ).all()
    )
    accuracy = None
    if categorical:
        fit = dawid_skene(answers, gold)
        accuracy = {names[a]: value for a, value in fit.accuracy.items()}
    flagged = project_aggregate(session, project.id).flagged
    return QualityOut(
        target="categorical" if categorical else "numeric",
        level=level,
        krippendorff_alpha=krippendorff_alpha(answers, level),
        tasks=len({t for t, _, _ in answers}),
        answers=len(answers),
        accuracy=accuracy,
        flagged=sorted(names[a] for a in flagged),
    )
