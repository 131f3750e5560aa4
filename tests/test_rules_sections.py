"""Findings (rules/sections.py): what the team fed back, told from how the rectification was organised.

A part is a finding when its title names a shortcoming (不到位, 不够, 薄弱,
存在…, in the genre's forms 关于“…”问题 / 反馈问题:… / 在…方面), a wrapper
when most of its sub-parts are findings, and otherwise organisation or the
closing part, whatever its wording.
"""

from __future__ import annotations

from llm_extract.rules import extract

OPENING = "根据市委统一部署,2023年4月3日至5月31日,市委第三巡察组对东岭区开展了常规巡察。7月5日反馈了巡察意见。\n"
SIGNATURE = "中共东岭区委\n2023年11月2日\n"


def sections(body: str) -> list[dict]:
    return extract(OPENING + body + SIGNATURE).record_json()["sections"]


def titles(body: str) -> list[str]:
    return [s["title"] for s in sections(body)]


def test_organisation_parts_in_any_wording_are_not_findings() -> None:
    body = ("一、提高政治站位,坚决扛起整改责任\n区委召开常委会专题研究。\n"
            "二、坚持问题导向,狠抓整改落实\n(一)细化整改方案。(二)强化督查问效。\n"
            "三、关于“意识形态工作责任制落实不到位”问题的整改情况\n(一)健全工作机制。做了工作。\n"
            "四、基层党组织建设薄弱\n(一)整顿软弱涣散党组织。做了工作。\n"
            "五、持续巩固整改成果\n区委将常抓不懈。\n")
    assert titles(body) == ["意识形态工作责任制落实不到位", "基层党组织建设薄弱"]


def test_findings_inside_a_wrapper_recognised_by_its_parts() -> None:
    body = ("一、整改工作推进情况\n区委成立领导小组。\n"
            "二、集中整改期间整改落实情况\n"
            "(一)关于“党的领导作用发挥不充分”问题\n1.决策部署落实有偏差。整改情况:开展督查。\n"
            "(二)关于“干部队伍建设存在短板”问题\n1.年轻干部储备不足。整改情况:制定规划。\n"
            "(三)关于巡察移交问题线索办理情况\n已全部办结。\n"
            "三、下一步工作打算\n继续推进。\n")
    assert sections(body) == [
        {"title": "党的领导作用发挥不充分", "items": ["决策部署落实有偏差"]},
        {"title": "干部队伍建设存在短板", "items": ["年轻干部储备不足"]},
    ]


def test_an_organisation_part_with_sub_parts_is_not_a_wrapper_and_a_cut_page_has_no_findings() -> None:
    body = ("一、整改工作总体情况\n(一)加强组织领导,压实整改责任。区委成立领导小组。\n"
            "(二)细化整改任务,建立整改台账。制定方案。\n(三)强化督查问效,确保整改实效。开展督查。\n"
            "在巡察整改工作中,给予党纪处分3人")
    assert extract(OPENING + body).record_json()["sections"] == []


def test_labelled_findings_and_findings_by_area() -> None:
    body = ("一、组织整改落实情况\n区委高度重视。\n二、反馈问题整改情况\n"
            "(一)反馈问题:村级财务管理不规范\n整改情况:一是清理账目;二是规范审批。\n"
            "(二)反馈问题:为民服务意识不强\n整改情况:一是开通热线。\n")
    assert sections(body) == [{"title": "村级财务管理不规范", "items": []}, {"title": "为民服务意识不强", "items": []}]
    body = ("一、巡察反馈问题整改落实情况\n1.在落实全面从严治党主体责任方面\n(1)压实责任。做了。\n"
            "2.在干部队伍建设方面\n(1)选优配强。做了。\n二、继续深化后续整改\n区委将持续用力。\n")
    assert titles(body) == ["落实全面从严治党主体责任", "干部队伍建设"]


def test_an_item_keeps_its_own_words_when_it_has_no_about_wrapper() -> None:
    body = "一、关于“生态环境保护存在差距”问题的整改情况\n(一)推进生态环境问题整改。做了。\n(二)关于河道采砂监管不严的问题。做了。\n"
    assert sections(body)[0]["items"] == ["推进生态环境问题整改", "河道采砂监管不严"]


def test_a_quote_in_an_organisation_title_does_not_make_it_a_finding() -> None:
    body = ("一、以“钉钉子”精神抓好整改落实\n区委成立领导小组。\n"
            "二、关于“政治监督不够有力”问题的整改情况\n(一)健全监督机制。做了。\n")
    assert titles(body) == ["政治监督不够有力"]


def test_a_named_wrapper_holds_findings_by_area_even_without_shortcoming_words() -> None:
    body = ("一、关于巡视反馈问题整改落实情况\n(一)政治建设方面\n1.理论学习不深入。做了。\n"
            "(二)组织建设方面\n1.党员发展不规范。做了。\n二、下一步工作打算\n继续推进。\n")
    assert sections(body) == [{"title": "政治建设", "items": ["理论学习不深入"]},
                              {"title": "组织建设", "items": ["党员发展不规范"]}]


def test_a_part_named_like_a_wrapper_that_holds_only_organisation_is_not_one() -> None:
    body = ("一、坚持问题导向,抓好巡视反馈问题整改\n(一)加强组织领导。区委成立领导小组。\n(二)健全工作机制。建立台账。\n"
            "在巡视整改工作中,给予党纪处分4人,诫勉2人。\n"
            "二、关于“政治监督不够有力”问题的整改情况\n(一)健全监督机制。做了。\n")
    r = extract(OPENING + body + SIGNATURE).record_json()
    assert [s["title"] for s in r["sections"]] == ["政治监督不够有力"]
    assert r["outcomes"]["party_discipline"] == 4
