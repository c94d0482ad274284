from groups.models import Position


def test_agreed_positions_come_from_a_real_vote(cast, agreed, board_chair):
    assert agreed.state == Position.State.AGREED
    assert agreed.group.ics == cast.board.ics
