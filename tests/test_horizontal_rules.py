"""Rule types with hand-worked numbers (amounts in 万元 as in the agreement files)."""

import numpy as np
import pandas as pd
import pytest

from compensation.horizontal import load_agreement, read_monitoring, rules
from compensation.horizontal.evaluate import evaluate
from compensation.horizontal.monitoring import monthly_table
from compensation.problems import InputError


def mon(*tables):
    return read_monitoring(pd.concat(tables, ignore_index=True))


def flows(ob):
    """{(payer, payee): amount} from an obligations frame."""
    return {(r.payer, r.payee): round(r.amount, 6) for r in ob.itertuples()}


AH, ZJ = "340000", "330000"
BASE = {"codmn": 2.0, "nh3n": 0.10, "tn": 1.30, "tp": 0.030}  # the placeholder baseline in xinan_round*.yaml


# --- 1. index threshold (Xin'an) ---------------------------------------------------------------------------

def xinan_mon(year, factor):
    return mon(monthly_table("街口", year, **{k: v * factor for k, v in BASE.items()}))


def test_xinan_round3_clean_year_downstream_pays():
    # worked by hand: C = C0 → P = 0.90 × (0.22 + 0.22 + 0.28 + 0.28) × 1 = 0.90 ≤ 1 → 浙江 pays 安徽 2亿 = 20000万
    ob = evaluate(load_agreement("xinan_round3"), xinan_mon(2019, 1.0), 2019)
    assert flows(ob) == {(ZJ, AH): 20000.0}
    assert "P = 0.9 × Σ k_i·C_i/C_i0 = 0.9000 ≤ 1: 浙江 pays 安徽" in ob["basis"].iloc[0]


def test_xinan_p_exactly_one_counts_as_clean():
    # worked by hand: k0 = 0.8, k_i = 0.25, C_i/C_i0 = 1.25 → P = 0.8 × 4 × 0.25 × 1.25 = 1.000 → P ≤ 1: 浙江 pays
    ag = load_agreement("xinan_round1", overrides={"k0": 0.8})
    p = rules.pollution_index([1.25 * v for v in BASE.values()], list(BASE.values()), [0.25] * 4, 0.8)
    assert p == pytest.approx(1.0)
    ob = evaluate(ag, xinan_mon(2013, 1.25), 2013)
    assert flows(ob) == {(ZJ, AH): 10000.0}


def test_xinan_dirty_year_upstream_pays():
    # worked by hand: C = 1.5 C0 → P = 0.90 × 1.5 = 1.35 > 1 → 安徽 pays 浙江 20000万
    ob = evaluate(load_agreement("xinan_round3"), xinan_mon(2019, 1.5), 2019)
    assert flows(ob) == {(AH, ZJ): 20000.0}


def test_index_threshold_vectorised():
    assert rules.index_threshold([0.5, 1.0, 1.0000001, 2.0], 7).tolist() == [7, 7, -7, -7]


# --- 2. class step with capped change term (Yellow River) -------------------------------------------------

HN, SD = "410000", "370000"


def test_class_step_by_class():
    # worked by hand: B = 6000 × (3 − c): I → 12000, II → 6000, III → 0, IV → −6000, V → −12000, 劣V(6) → −18000
    assert rules.class_step([1, 2, 3, 4, 5, 6], 6000, 3).tolist() == [12000, 6000, 0, -6000, -12000, -18000]


def test_change_term_cap():
    # worked by hand: 100万 × 12.5 points = 1250; 100 × 50 = 5000 → cap 4000; 100 × (−60) → −4000
    assert rules.change_term([12.5, 50, -60], 100, 4000).tolist() == [1250, 4000, -4000]


def test_yellow_river_class_exactly_at_pivot_only_change_term():
    # worked by hand: 2020 COD 20, NH3-N 1.0, TP 0.2 are exactly the class-III limits → class III, index = 1.0;
    # 2021 COD 19, NH3-N 0.95, TP 0.19 → class III (B = 6000 × (3 − 3) = 0), index = mean(.95, .95, .95) = .95;
    # improvement (1.0 − 0.95) / 1.0 × 100 = 5 points → V = 100 × 5 = 500万, 山东 pays 河南
    m = mon(monthly_table("刘庄", 2020, cod=20, nh3n=1.0, tp=0.2), monthly_table("刘庄", 2021, cod=19, nh3n=0.95, tp=0.19))
    ob = evaluate(load_agreement("yellow_river_henan_shandong"), m, 2021)
    assert flows(ob) == {(SD, HN): pytest.approx(500.0)}


def test_yellow_river_class_ii_and_capped_improvement():
    # worked by hand: 2020 (round 1's first assessment year) COD 15 (I), NH3-N 0.5 (II, exactly at the limit),
    # TP 0.1 (II) → class II → B = 6000; index = mean(15/20, .5/1, .1/.2) = 0.58333 against 2019's 1.0 → 41.67
    # points → 4166.7 → cap 4000; both 山东 → 河南
    m = mon(monthly_table("刘庄", 2019, cod=20, nh3n=1.0, tp=0.2), monthly_table("刘庄", 2020, cod=15, nh3n=0.5, tp=0.1))
    ob = evaluate(load_agreement("yellow_river_henan_shandong"), m, 2020)
    assert sorted(ob["amount"].tolist()) == [4000.0, 6000.0]
    assert set(zip(ob["payer"], ob["payee"], strict=True)) == {(SD, HN)}


def test_yellow_river_round_1_is_2020_and_2021():
    # the round-1 agreement covers the assessment years 2020 and 2021: 2022 belongs to no round shipped here
    ag = load_agreement("yellow_river_henan_shandong")
    assert ag.period == (2020, 2021)
    m = mon(monthly_table("刘庄", 2021, cod=20, nh3n=1.0, tp=0.2), monthly_table("刘庄", 2022, cod=15, nh3n=0.5, tp=0.1))
    with pytest.raises(InputError, match="runs 2020–2021, not 2022"):
        evaluate(ag, m, 2022)


def test_yellow_river_worse_year_upstream_pays():
    # worked by hand: class IV all year (NH3-N 1.2) → B = 6000 × (3 − 4) = −6000 → 河南 pays 山东 6000;
    # index 2021 = mean(20/20, 1.2/1.0, .2/.2) = 1.0667 vs 1.0 → −6.67 points → V = −666.7 → 河南 pays 666.7
    m = mon(monthly_table("刘庄", 2020, cod=20, nh3n=1.0, tp=0.2), monthly_table("刘庄", 2021, cod=20, nh3n=1.2, tp=0.2))
    ob = evaluate(load_agreement("yellow_river_henan_shandong"), m, 2021)
    assert sorted(ob["amount"].round(1).tolist()) == [666.7, 6000.0]
    assert set(ob["payer"]) == {HN}


# --- 3. monthly compliance count (Lushui) -----------------------------------------------------------------

def test_lushui_nine_good_three_bad_months():
    # worked by hand: 9 months at III or better (6 of them exactly III) → 株洲 pays 萍乡 9 × 100 = 900万;
    # 3 months at IV → 萍乡 pays 株洲 3 × 100 = 300万 (monthly accounting; the yearly settlement nets to 600)
    classes = ["II", "II", "II", "III", "III", "III", "III", "III", "III", "IV", "IV", "IV"]
    ob = evaluate(load_agreement("lushui"), mon(monthly_table("金鱼石", 2019, water_class=classes)), 2019)
    assert flows(ob) == {("430200", "360300"): 900.0, ("360300", "430200"): 300.0}


# --- 4. pass rate (Jiuzhou round 2) -----------------------------------------------------------------------

GX, GD = "450000", "440000"


def jiuzhou(n_good, year=2019, good="III", bad="IV"):
    return mon(monthly_table("山角", year, water_class=[good] * n_good + [bad] * (12 - n_good)))


def test_pass_rate_all_or_nothing_met():
    # worked by hand: 10/12 = 83.3% ≥ 83% (2019 target), median class III ≤ III → 广东 pays 广西 1亿 = 10000万
    ob = evaluate(load_agreement("jiuzhou_round2"), jiuzhou(10), 2019)
    assert flows(ob) == {(GD, GX): 10000.0}


def test_pass_rate_partial_all_or_nothing():
    # worked by hand: 9/12 = 75% < 83% → target missed → 广西 pays 广东 10000万
    ob = evaluate(load_agreement("jiuzhou_round2"), jiuzhou(9), 2019)
    assert flows(ob) == {(GX, GD): 10000.0}


def test_pass_rate_partial_pro_rata():
    # worked by hand: completion = 0.75 / 0.83 = 0.903614 → 广东 pays 9036.14万, 广西 pays 963.86万
    ag = load_agreement("jiuzhou_round2", overrides={"partial_rule": "pro_rata"})
    ob = evaluate(ag, jiuzhou(9), 2019)
    got = flows(ob)
    assert got[(GD, GX)] == pytest.approx(9036.144578, abs=1e-5)
    assert got[(GX, GD)] == pytest.approx(963.855422, abs=1e-5)


def test_pass_rate_exactly_at_target_2018():
    # worked by hand: 9/12 = 75% = the 2018 target exactly → met → 广东 pays 10000万 (also under pro_rata)
    for rule in ("all_or_nothing", "pro_rata"):
        ob = evaluate(load_agreement("jiuzhou_round2", overrides={"partial_rule": rule}), jiuzhou(9, 2018), 2018)
        assert flows(ob) == {(GD, GX): 10000.0}


def test_pass_rate_annual_class_fails_gate():
    # worked by hand: 2020 target 100%; 12/12 months at III but concentrations give an annual mean of class IV?
    # Not possible with classes only: use 7 months III and 5 months V → median class III ok, rate 7/12 < 100%
    # pro_rata: completion = (7/12) / 1.0 = 0.58333 → 广东 5833.33, 广西 4166.67
    ag = load_agreement("jiuzhou_round2", overrides={"partial_rule": "pro_rata"})
    ob = evaluate(ag, jiuzhou(7, 2020, bad="V"), 2020)
    got = flows(ob)
    assert got[(GD, GX)] == pytest.approx(5833.333333, abs=1e-5)
    # 4 good + 8 bad (class V): median month class V > III → annual class fails → completion 0 → 广西 pays all
    ob = evaluate(ag, jiuzhou(4, 2020, bad="V"), 2020)
    assert flows(ob) == {(GX, GD): 10000.0}


def test_pass_rate_settlement_vectorised():
    down, up = rules.pass_rate_settlement([0.75, 0.75, 0.9], [0.83, 0.75, 0.83], [True, True, False], 100, "pro_rata")
    assert down == pytest.approx([100 * 0.75 / 0.83, 100, 0])
    assert up == pytest.approx([100 - 100 * 0.75 / 0.83, 0, 100])
    with pytest.raises(ValueError):
        rules.pass_rate_settlement(0.5, 0.5, True, 1, "half")


# --- 5. pooled fund (Chishui) -----------------------------------------------------------------------------

YN, GZ, SC = "530000", "520000", "510000"


def chishui(qsp_ok, lyx_ok, year=2019, maotai_ok=True):
    good, bad = "II", "III"
    return mon(monthly_table("清水铺", year, water_class=good if qsp_ok else bad),
               monthly_table("鲢鱼溪", year, water_class=good if lyx_ok else bad),
               monthly_table("茅台上游", year, water_class=good if maotai_ok else bad))


def net_by_party(ob):
    s = ob.groupby("payee")["amount"].sum().sub(ob.groupby("payer")["amount"].sum(), fill_value=0)
    return {k: round(v, 6) for k, v in s.items() if abs(v) > 1e-9}


# worked by hand: pool 2亿 = 20000万; contributions 1:5:4 → 云南 2000, 贵州 10000, 四川 8000;
# allocation 3:4:3 → 云南 6000, 贵州 8000, 四川 6000.
def test_chishui_both_pass():
    # net = allocation − contribution: 云南 +4000, 贵州 −2000, 四川 −2000 → 贵州 → 云南 2000, 四川 → 云南 2000
    ob = evaluate(load_agreement("chishui"), chishui(True, True), 2019)
    assert flows(ob) == {(GZ, YN): 2000.0, (SC, YN): 2000.0}


def test_chishui_qingshuipu_fails():
    # 云南's 6000 → 3000 to 贵州, 3000 to 四川: allocations 0 / 11000 / 9000; net −2000 / +1000 / +1000
    ob = evaluate(load_agreement("chishui"), chishui(False, True), 2019)
    assert flows(ob) == {(YN, GZ): 1000.0, (YN, SC): 1000.0}


def test_chishui_lianyuxi_fails():
    # 贵州's 8000 → 四川: allocations 6000 / 0 / 14000; net +4000 / −10000 / +6000;
    # 贵州 pays 10000 split by receipts 4000 : 6000 → 云南 4000, 四川 6000
    ob = evaluate(load_agreement("chishui"), chishui(True, False), 2019)
    assert flows(ob) == {(GZ, YN): 4000.0, (GZ, SC): 6000.0}


def test_chishui_both_fail_keep_routed():
    # forfeit_routed = false: 云南 6000 → 3000/3000; then 贵州's own 8000 → 四川: allocations 0 / 3000 / 17000;
    # net 云南 −2000, 贵州 3000 − 10000 = −7000, 四川 17000 − 8000 = +9000
    ob = evaluate(load_agreement("chishui"), chishui(False, False), 2019)
    assert net_by_party(ob) == {YN: -2000.0, GZ: -7000.0, SC: 9000.0}
    assert flows(ob) == {(YN, SC): 2000.0, (GZ, SC): 7000.0}


def test_chishui_both_fail_forfeit_routed():
    # forfeit_routed = true: 贵州 loses 8000 + 3000 → 四川 gets all 20000: net −2000 / −10000 / +12000
    ag = load_agreement("chishui", overrides={"forfeit_routed": True})
    ob = evaluate(ag, chishui(False, False), 2019)
    assert net_by_party(ob) == {YN: -2000.0, GZ: -10000.0, SC: 12000.0}


def test_chishui_maotai_section_fails():
    # published: Guizhou and Sichuan each bear 50% of the deduction for the section above 茅台; the amount
    # (2,000万) and its destination (云南) are assumptions of the file. By hand: allocations 6000 / 8000 / 6000
    # → 贵州 −1000, 四川 −1000, 云南 +2000 → 8000 / 7000 / 5000; net vs contributions 2000 / 10000 / 8000:
    # 云南 +6000, 贵州 −3000, 四川 −3000 → 贵州 → 云南 3000, 四川 → 云南 3000
    ob = evaluate(load_agreement("chishui"), chishui(True, True, maotai_ok=False), 2019)
    assert flows(ob) == {(GZ, YN): 3000.0, (SC, YN): 3000.0}


def test_chishui_deduction_share_is_an_input():
    # the deducted share is an assumption (1.0); at 0.5, 清水铺 failing moves 3000 of 云南's 6000: allocations
    # 3000 / 9500 / 7500; net +1000 / −500 / −500 → 贵州 → 云南 500, 四川 → 云南 500
    ag = load_agreement("chishui", overrides={"deduction_share": 0.5})
    assert load_agreement("chishui").params["deduction_share"]["status"] == "assumption"
    assert flows(evaluate(ag, chishui(False, True), 2019)) == {(GZ, YN): 500.0, (SC, YN): 500.0}


def test_pooled_fund_conserves_pool():
    c, a = rules.pooled_fund(100, [1, 5, 4], [3, 4, 3], [(0, {1: 0.5, 2: 0.5}), (1, {2: 1.0})], [True, True])
    assert c.sum() == pytest.approx(100) and a.sum() == pytest.approx(100)


# --- 6. quantity plus quality (Miyun) ---------------------------------------------------------------------

def test_quantity_payment():
    # worked by hand: 1000万/亿m³ × (3.5 − 3.0) = 500; 1000 × 7 = 7000 → cap 6000; below baseline → 0
    assert rules.quantity_payment([3.5, 10.0, 2.5], 3.0, 1000, 6000).tolist() == [500, 6000, 0]


def test_miyun_quantity_and_quality():
    # worked by hand: inflow 2 sections × 12 × 0.15 = 3.6 亿m³ → (3.6 − 3.0) × 1000 = 600万 北京 → 河北;
    # 潮河 all 4 indicators class II (≤ III) → 4 × 1000; 白河 TN 1.2 (class IV, lake limits) → 1 fail:
    # 北京 pays 7 × 1000 = 7000 for quality, 河北 pays 1000
    good = {"codmn": 3.0, "nh3n": 0.4, "tp": 0.05, "tn": 0.5}
    m = mon(monthly_table("潮河入境", 2019, inflow=0.15, **good),
            monthly_table("白河入境", 2019, inflow=0.15, **{**good, "tn": 1.2}))
    ob = evaluate(load_agreement("miyun_chaobai"), m, 2019)
    bj, hb = "110000", "130000"
    got = ob.groupby(["payer", "payee"])["amount"].sum().round(6).to_dict()
    assert got == {(bj, hb): 7600.0, (hb, bj): 1000.0}


# --- 7. beneficiary shares --------------------------------------------------------------------------------

def test_beneficiary_weights_by_hand():
    # worked by hand: water 3 : 1 → 0.75 / 0.25; economy 1 : 1 → 0.5 / 0.5; α = 0.5 → 0.625 / 0.375
    w = rules.beneficiary_weights([3, 1], [1, 1], 0.5)
    assert w.tolist() == [0.625, 0.375]
    assert rules.beneficiary_shares(1000, w, [1]).ravel().tolist() == [625, 375]


def test_snwd_water_share_only_without_regions():
    # worked by hand: no region table → water shares 37.7 / 34.7 / 12.4 / 10.2 of 95.0; total 100000万:
    # 河南 39684.21, 河北 36526.32, 北京 13052.63, 天津 10736.84
    diag = []
    from compensation.horizontal.evaluate import beneficiary_shares
    ob = pd.DataFrame(beneficiary_shares(load_agreement("snwd_middle_route"), None, 2020, None, diag))
    got = dict(zip(ob["payer"], ob["amount"].round(2), strict=True))
    assert got == {"410000": 39684.21, "130000": 36526.32, "110000": 13052.63, "120000": 10736.84}
    assert set(ob["payee"]) == {"420000"} and diag
    assert np.isclose(ob["amount"].sum(), 100000)


def test_agreement_outside_period_is_an_input_error():
    from compensation.problems import InputError
    with pytest.raises(InputError, match="runs 2018–2020"):
        evaluate(load_agreement("xinan_round3"), xinan_mon(2012, 1.0), 2012)
