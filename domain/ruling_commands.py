"""Commands on rulings: accountability (问责) and fault tolerance (容错免责)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID, uuid4

from domain.actors import Actor
from domain.aggregate import Aggregate
from domain.commands import CommandBase, CommandResult, Sending
from domain.errors import (
    AlreadyExists,
    ExcludedFromTolerance,
    FormExceedsMitigation,
    InvalidValue,
    NotFound,
    PairedRulingDecided,
    PermissionDenied,
    TolerancePending,
    UnknownReference,
)
from domain.findings import Finding, parse
from domain.persons import ACCOUNTABILITY, TOLERANCE, Person
from domain.registry import (
    AppealRuling,
    DecideAppeal,
    DecideRuling,
    MovePerson,
    PairRulings,
    RegisterPerson,
    ReviseTolerancePolicy,
)
from domain.rulings import (
    DECIDABLE,
    FINAL,
    HEAVY_FORMS,
    AccountabilityRuling,
    Ruling,
    ToleranceRuling,
    check_form,
    person_name,
)
from domain.subjects import SHREDDED
from domain.tolerance_policies import POLICY_ID, TolerancePolicy, check_conditions
from domain.vocabulary import (
    AccountabilityForm,
    Role,
    RulingStatus,
    ToleranceCriterion,
    ToleranceExclusion,
    ToleranceOutcome,
)

# The outcomes that grant tolerance, which 屡错屡犯 bars.
EXEMPTED = ToleranceOutcome.EXEMPTED
GRANTING = (EXEMPTED, ToleranceOutcome.MITIGATED)


class RulingCommands(CommandBase):
    def check_subject(
        self, subject: dict[str, Any], finding_ids: Sequence[UUID], actor: Actor
    ) -> None:
        """The subject's unit takes new rulings; each linked finding exists and belongs to
        that unit (or to a unit merged into it)."""
        unit_code = str(subject["unit_code"])
        if not actor.covers_unit(unit_code):
            raise PermissionDenied("a unit applies only for itself")
        self.active_unit(unit_code)
        for finding_id in dict.fromkeys(finding_ids):
            try:
                finding = self.load(Finding, finding_id)
            except NotFound:
                raise UnknownReference(f"finding {finding_id} does not exist") from None
            if unit_code not in self.successor_chain(finding.unit_code):
                raise InvalidValue(
                    f"finding {finding_id} belongs to unit {finding.unit_code!r}, "
                    f"not to {unit_code!r}",
                    details={"finding_id": str(finding_id), "unit_code": finding.unit_code},
                )

    def check_accountability(
        self, *, actor: Actor, subject: dict[str, Any], finding_ids: list[UUID], form: str, **_: Any
    ) -> dict[str, Any]:
        """提出问责建议: a form the subject's kind allows, a subject and findings that agree."""
        subject = self.named_subject(subject)
        check_form(subject, form)
        self.check_subject(subject, finding_ids, actor)
        return {"subject": subject, "finding_ids": list(dict.fromkeys(finding_ids))}

    def check_tolerance(
        self,
        *,
        actor: Actor,
        subject: dict[str, Any],
        finding_ids: list[UUID],
        criteria_claimed: list[str],
        **_: Any,
    ) -> dict[str, Any]:
        """申请容错免责: criteria of the vocabulary; a unit names only findings it can see."""
        for criterion in criteria_claimed:
            parse(ToleranceCriterion, criterion, "criterion")
        self.only_visible_findings(actor, finding_ids)
        subject = self.named_subject(subject)
        self.check_subject(subject, finding_ids, actor)
        return {
            "subject": subject,
            "finding_ids": list(dict.fromkeys(finding_ids)),
            "criteria_claimed": list(dict.fromkeys(criteria_claimed)),
        }

    def named_subject(self, subject: dict[str, Any]) -> dict[str, Any]:
        """A subject named by `person_id`: the person of the register (人员名录), their name
        and position as it holds them (sealed with the ruling under the person's own key), of
        a unit they belong or belonged to (or its successor); a person not there, of no such
        unit, or erased is one answer (422 unknown_reference), telling nothing of which.
        A subject named otherwise, as given."""
        person_id = subject.get("person_id")
        if person_id is None:
            return subject
        if subject.get("person"):
            raise InvalidValue("a subject names the person by person_id or by name, not both")
        unit_code = str(subject["unit_code"])
        absent = UnknownReference(
            f"person {person_id} is not in the register for unit {unit_code!r} "
            "(or their personal data has been erased)"
        )
        try:
            person = self.load(Person, UUID(str(person_id)))
        except (NotFound, ValueError):
            raise absent from None
        served = {c for code in person.units_codes() for c in self.successor_chain(code)}
        if person.erased or unit_code not in served:
            raise absent
        named = {"name": person.name, "position": person.position}
        return {**subject, "person": named, "person_id": str(person.id)}

    def person_of(self, ruling: Ruling) -> Person | None:
        """The person of the register a ruling names (None: none, or named by name only)."""
        person_id = ruling.subject.get("person_id")
        return None if person_id is None else self.load(Person, UUID(str(person_id)))

    def on_record(
        self,
        ruling: Ruling,
        others: Sequence[Aggregate] | None,
        actor: dict[str, Any],
        person: Person | None,
    ) -> Sequence[Aggregate] | None:
        """A decided ruling written on the record of the person it names (`person`, loaded
        by the caller), in the same transaction; a 免责 or 从轻 for a person whose record
        already holds a ruling that stands against them is 屡错屡犯 and refused."""
        if person is None:
            return others
        if isinstance(ruling, ToleranceRuling):
            kind, result = TOLERANCE, ruling.outcome.value if ruling.outcome else ""
            self.check_repeated(person, ruling)
        else:
            assert isinstance(ruling, AccountabilityRuling)
            kind, result = ACCOUNTABILITY, ruling.form.value if ruling.form else ""
        assert ruling.decision is not None
        person.note_decision(
            ruling_id=ruling.id,
            kind=kind,
            unit_code=ruling.unit_code,
            result=result,
            decided_on=ruling.decision["decided_on"],
            effects_until=getattr(ruling, "effects_until", None),
            actor=actor,
        )
        return [*(others or ()), person]

    def case_tolerances(self, person: Person | None, ruling: Ruling) -> list[ToleranceRuling]:
        """The tolerance rulings standing on this ruling's case (a shared finding) for the
        person of the register it names: 容错认定在先 even when the two were not paired."""
        if person is None:
            return []
        found = []
        for entry in person.record:
            if entry["kind"] == TOLERANCE and entry["standing"]:
                tolerance = self.load(Ruling, entry["ruling_id"])
                if set(tolerance.finding_ids) & set(ruling.finding_ids):
                    assert isinstance(tolerance, ToleranceRuling)
                    found.append(tolerance)
        return found

    def check_case_decided(self, person: Person, tolerance: ToleranceRuling) -> None:
        """On appeal: a tolerance decision changed to 免责 or 从轻 while an accountability ruling
        on its case (a shared finding, the person of the register) stands decided is refused,
        paired or not: that ruling rests on the decision as it was (容错认定在先)."""
        for entry in person.record:
            if entry["kind"] != ACCOUNTABILITY or not entry["standing"]:
                continue
            proposal = self.load(Ruling, entry["ruling_id"])
            decided = proposal.status not in (*DECIDABLE, RulingStatus.CLOSED, RulingStatus.REVOKED)
            if decided and set(proposal.finding_ids) & set(tolerance.finding_ids):
                raise PairedRulingDecided(
                    f"the accountability ruling {proposal.id} on this case is "
                    f"{proposal.status.label}: it rests on the decision as it was (容错认定在先); "
                    "change it by its own appeal first",
                    details={"accountability_ruling_id": str(proposal.id)},
                )

    def check_case_tolerance(self, person: Person, ruling: Ruling, form: str) -> None:
        """On appeal: a tolerance standing at 从轻 on the case leaves only the lighter forms;
        at 免责 (reached after this ruling was decided), no form at all."""
        for tolerance in self.case_tolerances(person, ruling):
            if tolerance.outcome is EXEMPTED:
                raise PairedRulingDecided(
                    f"the fault-tolerance ruling {tolerance.id} exempted the person on this "
                    "case (免予问责): no form of accountability is decided on it",
                    details={"tolerance_ruling_id": str(tolerance.id)},
                )
            self.check_mitigation(form, tolerance)

    @staticmethod
    def check_repeated(person: Person, ruling: ToleranceRuling) -> None:
        """屡错屡犯: a 免责 or 从轻 (decided, or reached on appeal) for a person whose record
        already holds a ruling standing against them is refused."""
        earlier = person.earlier(ruling.id) if ruling.outcome in GRANTING else []
        if earlier:
            raise ExcludedFromTolerance(
                "the person's record holds earlier rulings against them: "
                f"{ToleranceExclusion.REPEATED.label} bars 免责 and 从轻",
                details={
                    "exclusions": [ToleranceExclusion.REPEATED.value],
                    "earlier_rulings": [str(e["ruling_id"]) for e in earlier],
                },
            )

    def appeal_on_record(
        self,
        ruling: Ruling,
        result: str,
        others: Sequence[Aggregate] | None,
        actor: dict[str, Any],
        before: ToleranceOutcome | None = None,
    ) -> Sequence[Aggregate] | None:
        """An appeal's decision on a ruling on a person's record: its result, and the ruling's
        form or outcome as it now stands."""
        person = self.person_of(ruling)
        if person is None or not any(e["ruling_id"] == ruling.id for e in person.record):
            return others
        if isinstance(ruling, ToleranceRuling) and ruling.status is not RulingStatus.REVOKED:
            if before not in GRANTING:  # an appeal that grants what the decision did not
                self.check_repeated(person, ruling)
            if ruling.outcome in GRANTING and ruling.outcome is not before:
                self.check_case_decided(person, ruling)
        elif (  # (a revocation lifts the accountability: no tolerance on the case bars it)
            isinstance(ruling, AccountabilityRuling)
            and ruling.status is not RulingStatus.REVOKED
            and ruling.form is not None
        ):
            self.check_case_tolerance(person, ruling, ruling.form.value)
        now = getattr(ruling, "form", None) or getattr(ruling, "outcome", None)
        person.note_appeal(
            ruling_id=ruling.id, result=result, now=now.value if now else None, actor=actor
        )
        return [*(others or ()), person]

    def do_register_person(self, cmd: RegisterPerson, by: Sending) -> CommandResult:
        """列入人员名录: a person of an active unit, their data sealed under their own key."""
        self.active_unit(cmd.unit_code)
        person_id = cmd.person_id or uuid4()
        if person_id in self.repository:  # a person's, or another record's: the id is taken
            raise AlreadyExists(f"the id {person_id} is already taken")
        subject = Person.subject_of(person_id, cmd.unit_code, cmd.name, cmd.position)
        person = Person(id=person_id, subject=subject, actor=by.actor.as_event_data())
        return self.record(person, **by.save_kwargs)

    def do_move_person(self, cmd: MovePerson, by: Sending) -> CommandResult:
        """调动: the person now belongs to another active unit."""
        self.active_unit(cmd.unit_code)

        def move(person: Person) -> None:
            person.move(
                unit_code=cmd.unit_code,
                reason=cmd.reason,
                effective_on=cmd.effective_on,
                actor=by.actor.as_event_data(),
            )

        return self.update(Person, cmd.person_id, by.expected_version, move, **by.save_kwargs)

    def get_person(self, person_id: UUID, **at: Any) -> Person:
        """A person of the register (the authority's: the route says who may read it)."""
        return self.get_record(Person, person_id, **at)

    def only_visible_findings(self, actor: Actor, finding_ids: Sequence[UUID]) -> None:
        """A unit account may link only findings it can see: another unit's finding is, to it,
        a finding that does not exist (the same 422 `unknown_reference`), so naming ids does
        not reveal which exist or to which unit they belong."""
        if actor.role is not Role.UNIT:
            return
        for finding_id in dict.fromkeys(finding_ids):
            try:
                self.get_finding(finding_id, viewer=actor)
            except NotFound:
                raise UnknownReference(f"finding {finding_id} does not exist") from None

    def get_ruling(self, ruling_id: UUID, **at: Any) -> Ruling:
        """The ruling now, at `version`, or as it was `as_of` a time; `viewer` scopes it."""
        return self.get_record(Ruling, ruling_id, **at)

    def ruling_command(
        self,
        ruling_id: UUID,
        by: Sending,
        change: Callable[[Ruling], Sequence[Aggregate] | None],
    ) -> CommandResult:
        """Change a ruling the sender may see (another unit's is, to a unit, not there), and
        any other aggregate the change returns, in one transaction."""
        return self.update(
            Ruling, ruling_id, by.expected_version, change, seen_by=by.actor, **by.save_kwargs
        )

    def do_decide_ruling(self, cmd: DecideRuling, by: Sending) -> CommandResult:
        """作出决定 (the authority): a form for accountability, an outcome for tolerance."""
        form, outcome = cmd.form, cmd.outcome

        def decide(ruling: Ruling) -> Sequence[Aggregate] | None:
            data = by.actor.as_event_data()
            if isinstance(ruling, AccountabilityRuling):
                if form is None or outcome is not None or cmd.criteria_met or cmd.exclusions:
                    raise InvalidValue("an accountability decision names a form (no outcome)")
                checked = self.check_paired_tolerance(ruling, form)
                person = self.person_of(ruling)
                # 容错认定在先 with every tolerance standing on the case, paired with this
                # proposal or not (the paired one checked above).
                case = [
                    t
                    for t in self.case_tolerances(person, ruling)
                    if checked is None or t.id != checked.id
                ]
                exempting = next((t for t in case if t.outcome is EXEMPTED), None)
                if exempting is not None:  # 免予问责, as a paired 免责 closes its proposal
                    reason = f"容错免责认定免责（{exempting.id}），免予问责"
                    ruling.close(tolerance_ruling_id=exempting.id, reason=reason, actor=data)
                    exempting.note_closed(proposal_id=ruling.id, actor=data)
                    return [exempting, *(self.told(checked, data) or ())]
                ruling.decide(
                    form=form,
                    reasoning=cmd.reasoning,
                    decided_on=cmd.decided_on,
                    actor=data,
                    measure=cmd.measure,
                    effects_until=cmd.effects_until,
                )
                for tolerance in case:  # standing at 从轻: only the lighter forms
                    self.check_mitigation(form, tolerance)
                return self.on_record(ruling, self.told(checked, data), data, person)
            elif isinstance(ruling, ToleranceRuling):
                if outcome is None or form is not None:
                    raise InvalidValue("a fault-tolerance decision names an outcome (no form)")
                if cmd.measure is not None or cmd.effects_until is not None:
                    raise InvalidValue("a fault-tolerance decision has no measure or effects")
                ruling.decide(
                    outcome=outcome,
                    criteria_met=list(cmd.criteria_met),
                    reasoning=cmd.reasoning,
                    decided_on=cmd.decided_on,
                    actor=data,
                    exclusions=list(cmd.exclusions),
                )
                self.check_tolerance_policy(outcome, list(cmd.criteria_met))
                proposal = self.partner_of(ruling)
                person = self.person_of(ruling)
                if proposal is not None and ruling.outcome is EXEMPTED:
                    return self.on_record(
                        ruling, self.closed_by(ruling, proposal, data), data, person
                    )
                return self.on_record(ruling, self.told(proposal, data), data, person)
            return None

        return self.ruling_command(cmd.ruling_id, by, decide)

    def do_decide_appeal(self, cmd: DecideAppeal, by: Sending) -> CommandResult:
        """申诉复核决定 (the authority): upheld, modified or revoked."""
        form, outcome, criteria_met = cmd.form, cmd.outcome, cmd.criteria_met

        def decide(ruling: Ruling) -> Sequence[Aggregate] | None:
            data = by.actor.as_event_data()
            if isinstance(ruling, AccountabilityRuling):
                if outcome is not None or criteria_met:
                    raise InvalidValue("an accountability ruling has a form, not an outcome")
                ruling.decide_appeal(
                    result=cmd.result, reasoning=cmd.reasoning, form=form, actor=data
                )
                tolerance = self.partner_of(ruling)
                if form is not None and tolerance is not None:  # a paired 从轻 still bounds it
                    self.check_mitigation(form, tolerance)
                return self.appeal_on_record(ruling, cmd.result, self.told(tolerance, data), data)
            elif isinstance(ruling, ToleranceRuling):
                if form is not None:
                    raise InvalidValue("a fault-tolerance ruling has an outcome, not a form")
                before = ruling.outcome
                ruling.decide_appeal(
                    result=cmd.result,
                    reasoning=cmd.reasoning,
                    outcome=outcome,
                    criteria_met=list(criteria_met) if criteria_met else None,
                    actor=data,
                )
                if outcome is not None:  # a modified decision: the county's rules again
                    self.check_tolerance_policy(outcome, list(criteria_met or []))
                others = self.after_tolerance_appeal(ruling, before, data)
                return self.appeal_on_record(ruling, cmd.result, others, data, before)
            return None

        return self.ruling_command(cmd.ruling_id, by, decide)

    def do_appeal_ruling(self, cmd: AppealRuling, by: Sending) -> CommandResult:
        """申诉: a fault-tolerance decision whose 免责 closed its paired proposal stands with
        that proposal (409 paired_ruling_decided: a changed exemption could not be decided)."""

        def appeal(ruling: Ruling) -> None:
            if isinstance(ruling, ToleranceRuling):  # paired, or closed unpaired on its case
                for proposal_id in dict.fromkeys([ruling.paired_with, *ruling.partners_decided]):
                    if proposal_id is None:
                        continue
                    proposal = self.load(Ruling, proposal_id)
                    if proposal.status is RulingStatus.CLOSED:
                        raise PairedRulingDecided(
                            f"the exemption closed the accountability ruling {proposal.id} on "
                            "this case (免予问责): the decision is not open to appeal",
                            details={"accountability_ruling_id": str(proposal.id)},
                        )
            ruling.lodge_appeal(
                grounds=cmd.grounds, actor=by.actor.as_event_data(), runs_to=self.deadline_runs_to
            )

        return self.ruling_command(cmd.ruling_id, by, appeal)

    def after_tolerance_appeal(
        self, ruling: ToleranceRuling, before: ToleranceOutcome | None, actor: dict[str, Any]
    ) -> Sequence[Aggregate] | None:
        """A paired proposal after its tolerance's appeal: still open, it is closed by a 免责
        now standing; closed on the exemption, or decided meanwhile, it allows no other
        outcome than the one it rests on (409 paired_ruling_decided: the accountability
        ruling is changed by its own appeal)."""
        proposal = self.partner_of(ruling)
        if proposal is None:
            return None
        now = ruling.outcome if ruling.status is not RulingStatus.REVOKED else None
        if proposal.status in DECIDABLE and now is ToleranceOutcome.EXEMPTED:
            return self.closed_by(ruling, proposal, actor)
        closed = proposal.status is RulingStatus.CLOSED
        decided = proposal.status not in (*DECIDABLE, RulingStatus.CLOSED, RulingStatus.REVOKED)
        if (closed and now is not ToleranceOutcome.EXEMPTED) or (
            decided and now is not before and now is not ToleranceOutcome.DENIED and now
        ):
            raise PairedRulingDecided(
                f"the accountability ruling {proposal.id} paired with this one is "
                f"{proposal.status.label}: it rests on the decision as it was (容错认定在先); "
                "change it by its own appeal first",
                details={"accountability_ruling_id": str(proposal.id)},
            )
        return self.told(proposal, actor)

    def partner_of(self, ruling: Ruling) -> Ruling | None:
        """The ruling paired with this one, if it has one (loaded once per command: what it
        is checked against is what its decision writes on)."""
        return None if ruling.paired_with is None else self.load(Ruling, ruling.paired_with)

    @staticmethod
    def told(partner: Ruling | None, actor: dict[str, Any]) -> Sequence[Aggregate] | None:
        """The partner, told of this ruling's decision in the same transaction (its version
        moves, so a concurrent decision on it conflicts and is checked again)."""
        if partner is None:
            return None
        partner.note_partner_decided(actor=actor)
        return [partner]

    @staticmethod
    def closed_by(
        ruling: ToleranceRuling, proposal: Ruling, actor: dict[str, Any]
    ) -> Sequence[Aggregate]:
        """免予问责: a 免责 decision closes the accountability proposal paired with it."""
        assert isinstance(proposal, AccountabilityRuling)
        reason = f"容错免责认定免责（{ruling.id}），免予问责"
        proposal.close(tolerance_ruling_id=ruling.id, reason=reason, actor=actor)
        return [proposal]

    # -- the county's 容错免责办法 -------------------------------------------------------------

    def tolerance_policy(self) -> TolerancePolicy | None:
        """The county's adopted policy, if it has one."""
        try:
            return self.load(TolerancePolicy, POLICY_ID)
        except NotFound:
            return None

    def check_tolerance_policy(self, outcome: str, criteria_met: list[str]) -> None:
        """免责 and 从轻 meet the adopted policy (domain/tolerance_policies.py); none adopted,
        the v1 contract's rule alone."""
        policy = self.tolerance_policy()
        if policy is not None:
            policy.check_decision(outcome, criteria_met)

    def check_new_tolerance_policy(
        self, *, required_conditions: list[str], **_: Any
    ) -> dict[str, Any]:
        """制定容错免责办法: once (then revised); conditions of the vocabulary."""
        if POLICY_ID in self.repository:
            raise AlreadyExists("the county's fault-tolerance policy exists; revise it")
        return {"required_conditions": check_conditions(required_conditions)}

    def do_revise_tolerance_policy(self, cmd: ReviseTolerancePolicy, by: Sending) -> CommandResult:
        """修订容错免责办法 (404 while none is adopted)."""

        def revise(policy: TolerancePolicy) -> None:
            policy.revise(
                required_conditions=list(cmd.required_conditions),
                reason=cmd.reason,
                actor=by.actor.as_event_data(),
            )

        return self.update(
            TolerancePolicy, POLICY_ID, by.expected_version, revise, **by.save_kwargs
        )

    def get_tolerance_policy(self) -> dict[str, Any]:
        """The policy as adopted (`adopted: false`, nothing required, while there is none),
        with the vocabulary's circumstances and conditions."""
        policy = self.tolerance_policy()
        criteria = list(ToleranceCriterion)
        return {
            "adopted": policy is not None,
            "locality": None if policy is None else policy.locality,
            "required_conditions": [] if policy is None else policy.required_conditions,
            "circumstances": [c.value for c in criteria if c.circumstance],
            "conditions": [c.value for c in criteria if not c.circumstance],
            "version": 0 if policy is None else policy.version,
        }

    # -- a fault-tolerance application paired with an accountability proposal ------------------

    def do_pair_rulings(self, cmd: PairRulings, by: Sending) -> CommandResult:
        """关联容错与问责: a fault-tolerance application and an accountability proposal on a
        finding they share, of the same subject, both undecided, each paired once."""

        def pair(tolerance: Ruling) -> Sequence[Aggregate]:
            if not isinstance(tolerance, ToleranceRuling):
                raise InvalidValue("a pairing is made from the fault-tolerance ruling")
            try:
                proposal = self.load(Ruling, cmd.accountability_ruling_id)
            except NotFound:
                proposal = None
            if proposal is None or not by.actor.covers_unit(proposal.unit_code):
                raise UnknownReference(f"ruling {cmd.accountability_ruling_id} does not exist")
            if not isinstance(proposal, AccountabilityRuling):
                raise InvalidValue(f"ruling {proposal.id} is not an accountability ruling")
            person = person_name(tolerance.subject)
            if (tolerance.unit_code, person) != (
                proposal.unit_code,
                person_name(proposal.subject),
            ):
                raise InvalidValue("the two rulings concern different subjects")
            if person == SHREDDED:  # two erased names cannot be told to be one person's
                raise InvalidValue("the two rulings concern different subjects (names erased)")
            ids = (tolerance.subject.get("person_id"), proposal.subject.get("person_id"))
            if ids[0] != ids[1]:  # a person of the register is told apart by id, not name
                raise InvalidValue("the two rulings concern different subjects (persons)")
            if not set(tolerance.finding_ids) & set(proposal.finding_ids):
                raise InvalidValue("the two rulings share no finding")
            data = by.actor.as_event_data()
            tolerance.pair(with_ruling_id=proposal.id, actor=data)
            proposal.pair(with_ruling_id=tolerance.id, actor=data)
            return [proposal]

        return self.ruling_command(cmd.ruling_id, by, pair)

    def check_paired_tolerance(
        self, ruling: AccountabilityRuling, form: str
    ) -> ToleranceRuling | None:
        """容错认定在先: a paired fault-tolerance application is decided first (409 while it is
        not, or under appeal); decided 从轻, it leaves only the lighter forms (422
        form_exceeds_mitigation); revoked, it leaves the proposal free. Answers the
        tolerance as checked (none when unpaired), for the decision to write on."""
        if ruling.paired_with is None:
            return None
        ruling.check_status("decide", *DECIDABLE)
        tolerance = self.partner_of(ruling)
        assert isinstance(tolerance, ToleranceRuling)
        if tolerance.status is RulingStatus.REVOKED:
            return tolerance
        if tolerance.status not in (*FINAL, RulingStatus.PUBLISHED):
            raise TolerancePending(
                f"the fault-tolerance application {tolerance.id} paired with this ruling is "
                "decided first (容错认定在先)",
                details={"tolerance_ruling_id": str(tolerance.id)},
            )
        self.check_mitigation(form, tolerance)
        return tolerance

    @staticmethod
    def check_mitigation(form: str, tolerance: Ruling) -> None:
        """A paired fault-tolerance ruling standing at 从轻 leaves only the lighter forms."""
        assert isinstance(tolerance, ToleranceRuling)
        if tolerance.status is RulingStatus.REVOKED:
            return
        chosen = parse(AccountabilityForm, form, "form")
        if tolerance.outcome is ToleranceOutcome.MITIGATED and chosen in HEAVY_FORMS:
            raise FormExceedsMitigation(
                f"{chosen.label} ({chosen.value}) is heavier than the 从轻 decision of the paired "
                f"fault-tolerance ruling {tolerance.id} allows (从轻处理不得适用{chosen.label})",
                details={"form": chosen.value, "tolerance_ruling_id": str(tolerance.id)},
            )
