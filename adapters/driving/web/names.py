"""What the pages call the engine's codes: task kinds, states, steps, events, roles, errors.

Each code maps to an English message id; the catalogs give its Chinese (and English)
name. ``N_`` only marks a string for the catalog; it is translated where it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it here."""
    return message


#: Follow-up task kinds (the workflow definition's ``kind``).
KINDS: Mapping[str, str] = {
    "home_visit": N_("Home visit"),
    "mentor_pairing": N_("Mentor pairing"),
    "mentor_talk": N_("Mentor talk"),
    "counselling": N_("Counselling"),
    "case_review": N_("Case review"),
    "guardian_contact": N_("Guardian contact"),
    "parent_contact": N_("Parent contact"),
    "start_of_year_recheck": N_("Start-of-year re-check"),
    "erasure_decision": N_("Decide on erasure"),
}

#: States of a case.
STATES: Mapping[str, str] = {
    "identified": N_("Identified"),
    "visited": N_("Visited"),
    "paired": N_("Paired"),
    "counselled": N_("Counselled"),
    "reviewed": N_("Reviewed"),
    "closed": N_("Closed"),
}

#: The steps a person can take (``domain.values.Action``), as buttons and form titles.
STEPS: Mapping[str, str] = {
    "record_home_visit": N_("Record a home visit"),
    "pair_mentor": N_("Pair a mentor"),
    "release_mentor": N_("End the pairing"),
    "record_counselling": N_("Record counselling"),
    "review_case": N_("Review the case"),
    "close_case": N_("Close the case"),
    "reopen_case": N_("Reopen the case"),
    "log_contact": N_("Log a contact"),
    "add_note": N_("Add to the growth diary"),
    "assign_head_teacher": N_("Change the head teacher"),
    "change_risk_level": N_("Change the risk level"),
    "complete_follow_up": N_("Mark a task done"),
    "amend_details": N_("Amend the family's details"),
    "record_consent": N_("Record the guardian's consent"),
    "withdraw_consent": N_("Record a withdrawal of consent"),
}

#: Events of a case, as the timeline says them.
EVENTS: Mapping[str, str] = {
    "Identified": N_("Case opened"),
    "HomeVisited": N_("Home visit"),
    "MentorPaired": N_("Mentor paired"),
    "MentorReleased": N_("Mentor released"),
    "CounsellingHeld": N_("Counselling session"),
    "Reviewed": N_("Case reviewed"),
    "Closed": N_("Case closed"),
    "Reopened": N_("Case reopened"),
    "ContactLogged": N_("Contact"),
    "DetailsAmended": N_("Details amended"),
    "ConsentRecorded": N_("Consent recorded"),
    "ConsentWithdrawn": N_("Consent withdrawn"),
    "NoteAdded": N_("Growth diary"),
    "HeadTeacherAssigned": N_("Head teacher changed"),
    "CounsellingTeacherAssigned": N_("Counselling teacher changed"),
    "ClassMovedUp": N_("New school year"),
    "WorkflowUpgraded": N_("Workflow updated"),
    "RiskLevelChanged": N_("Risk level changed"),
    "FollowUpScheduled": N_("Task scheduled"),
    "FollowUpCompleted": N_("Task done"),
    "FollowUpCancelled": N_("Task cancelled"),
    "FollowUpReassigned": N_("Task reassigned"),
    "FollowUpEscalated": N_("Task escalated"),
    "Erased": N_("Personal data erased"),
}

#: Roles of people (``adapters.driven.auth.models.UserRole``) and of assignees.
ROLES: Mapping[str, str] = {
    "teacher": N_("Teacher"),
    "supervisor": N_("Supervisor"),
    "auditor": N_("Inspector"),
    "admin": N_("Administrator"),
    "system": N_("The system"),
    "operator": N_("Operator"),
    "head_teacher": N_("Head teacher"),
    "mentor": N_("Mentor"),
    "counselling_teacher": N_("Counselling teacher"),
    "district": N_("District"),
}

#: The values of the enumerations a form offers.
CHOICES: Mapping[str, str] = {
    "normal": N_("Normal risk"),
    "high": N_("High risk"),
    "both": N_("Both parents away"),
    "father": N_("Father away"),
    "mother": N_("Mother away"),
    "single_parent": N_("Single parent away"),
    "guardian": N_("Guardian"),
    "parent": N_("Parent"),
    "child": N_("The child (a mentor's talk)"),
    "phone": N_("Phone"),
    "video": N_("Video call"),
    "message": N_("Message"),
    "in_person": N_("In person"),
    "meeting": N_("Meeting"),
    "continue": N_("Continue"),
    "close": N_("Close"),
    "raise_risk": N_("Continue at high risk"),
    "parents_returned": N_("Parents came home"),
    "left_school": N_("Left the school"),
    "graduated": N_("Graduated"),
    "reviewed": N_("Closed after review"),
    "other": N_("Other"),
    "guardian_request": N_("The guardian asked for it"),
    "consent_withdrawn": N_("Consent withdrawn"),
    "retention": N_("Kept long enough (retention)"),
    "purpose_ended": N_("No longer needed for the follow-up"),
    "case closed": N_("the case was closed"),
    "female": N_("Girl"),
    "male": N_("Boy"),
    "signed_form": N_("Signed form"),
    "verbal": N_("Verbal, with a witness"),
}

#: How a guardian is related to the child, for the relations written as codes (the field is
#: free text: anything else is shown as written).
RELATIONS: Mapping[str, str] = {
    "grandmother": N_("grandmother"),
    "grandfather": N_("grandfather"),
    "aunt": N_("aunt"),
    "uncle": N_("uncle"),
    "sibling": N_("older sibling"),
}

#: Refusals, by the stable code of the domain's and the API's errors.
ERRORS: Mapping[str, str] = {
    "illegal-step": N_("This step is not allowed while the case is %(state)s."),
    "case-exists": N_("This child already has a case."),
    "case-not-found": N_("There is no such case."),
    "mentor-at-capacity": N_("%(teacher)s already mentors %(capacity)s children, the most allowed."),
    "assignee-not-eligible": N_("%(teacher)s is not a teacher of this school and cannot take this case."),
    "concurrent-update": N_("Someone else changed the case at the same moment. Please try again."),
    "version-conflict": N_("Someone else just changed this case. Here it is as it is now."),
    "invalid-command": N_("The case does not allow this: %(detail)s"),
    "occurred-in-future": N_("This time is in the future."),
    "occurred-before-case": N_("This time is before the case was opened."),
    "follow-up-not-open": N_("This task is already done or cancelled."),
    "case-erased": N_("This case's personal data was erased: it takes no further steps."),
    "already-erased": N_("This case is already erased. Nothing was changed."),
    "not-permitted": N_("Your role does not allow this."),
    "domain-error": N_("The step was refused."),
    "forbidden": N_("Your role does not allow this."),
    "not-found": N_("This page does not exist."),
    "internal-error": N_("Something went wrong on our side. The request id is %(request_id)s."),
    "csrf": N_("This form has expired. Please send it again."),
    "validation": N_("Please correct the marked fields."),
}
