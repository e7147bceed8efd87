"""Component groups of a page: what a group may hold, and where it sits in the page's list."""

from uuid import UUID

import pytest

from app.domain.catalog import ComponentGroup, check_groups, keep_on_page
from app.domain.errors import DomainError
from app.domain.public_page import positions

A, B, C, D = (UUID(int=n) for n in range(1, 5))
G, H = UUID(int=100), UUID(int=101)


def test_a_group_sits_where_its_first_member_is_followed_by_its_members_in_its_order():
    groups = [ComponentGroup(id=G, name="API", component_ids=(C, B))]
    assert positions([A, B, C, D], groups) == {A: 1, G: 2, C: 3, B: 4, D: 5}


def test_without_groups_the_page_keeps_its_order():
    assert positions([C, A, B], []) == {C: 1, A: 2, B: 3}


@pytest.mark.parametrize(
    ("groups", "code", "field"),
    [
        ([("API", (A, D))], "component_not_on_page", ("groups", 0, "component_ids", 1)),
        ([("X", (A,)), ("Y", (B, A))], "duplicate_component", ("groups", 1, "component_ids", 1)),
        ([("API", (A,)), ("api", (B,))], "duplicate_group_name", ("groups", 1, "name")),
    ],
    ids=["not-on-page", "in-two-groups", "same-name"],
)
def test_groups_are_refused_naming_the_first_offending_field(groups, code, field):
    with pytest.raises(DomainError) as refused:
        check_groups([A, B, C], groups)
    assert (refused.value.code, refused.value.field) == (code, field)


def test_components_leaving_the_page_leave_their_groups_and_empty_groups_go():
    groups = [
        ComponentGroup(id=G, name="API", component_ids=(A, B)),
        ComponentGroup(id=H, name="Web", component_ids=(C,)),
    ]
    assert keep_on_page(groups, [B, D]) == (ComponentGroup(id=G, name="API", component_ids=(B,)),)
