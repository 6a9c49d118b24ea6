// The page in the users' language: zh-CN (the district's officials) or English, chosen from
// the browser's languages or by the switch in the header (kept in this browser). Times are
// shown on the district's clock, Asia/Shanghai, whatever the browser's zone.

const LANG_KEY = 'coastwatch.lang';
export const TIME_ZONE = 'Asia/Shanghai';

/** The page's language: 'zh-CN' or 'en'. */
export function lang() {
  const chosen = localStorage.getItem(LANG_KEY);
  if (chosen === 'zh-CN' || chosen === 'en') return chosen;
  return (navigator.languages ?? [navigator.language]).some((l) => l?.toLowerCase().startsWith('zh')) ? 'zh-CN' : 'en';
}

/** Keeps `value` ('zh-CN' or 'en') as the page's language. */
export function setLang(value) {
  localStorage.setItem(LANG_KEY, value);
}

/** Chinese for the interface's English texts (the English text is the key). */
const ZH = {
  'Town': '乡镇',
  'All towns': '全部乡镇',
  'Tracks': '轨迹',
  'last': '最近',
  'Layers': '图层',
  'Alerts': '警情',
  'Cases': '案件',
  'Cards': '红黄牌',
  'show resolved': '显示已处置',
  'access token': '访问令牌',
  'Save': '保存',
  'Language': '语言',
  'connecting…': '连接中…',
  'live': '实时',
  'offline': '离线',
  'reconnecting…': '重新连接中…',
  'Acknowledge': '签收',
  'Assign…': '指派…',
  'Resolve…': '处置…',
  'Assign': '指派',
  'Resolve': '处置',
  'Cancel': '取消',
  'note': '备注',
  'note (required)': '备注（必填）',
  'assignee': '指派给',
  'opened': '发生于',
  'assigned to': '已指派给',
  'by': '操作人',
  'open': '待处理',
  'No open alerts': '暂无待处理警情',
  'No cases': '暂无案件',
  'No cards': '暂无红黄牌',
  'token saved': '令牌已保存',
  'token removed': '令牌已删除',
  '(enter a dispatcher token at the top right)': '（请在右上角输入调度员令牌）',
  'Hand over…': '移交…',
  'Close case…': '结案…',
  'Hand over': '移交',
  'Close case': '结案',
  'to agency': '移交单位',
  'lead': '主办',
  'supporting': '协办',
  'deadline': '整改期限',
  'overdue': '已逾期',
  'award eligible': '可参评年度奖励',
  'not award eligible': '取消年度评优资格',
  'Inspection': '巡查登记',
  'Risk point': '风险点',
  'Findings': '巡查情况',
  'Result': '结论',
  'Record inspection': '提交巡查记录',
  'Photos (at most 4)': '现场照片（最多4张）',
  'Locating…': '定位中…',
  'Position': '当前位置',
  'no position: allow location access': '无法定位：请允许获取位置',
  'Inspection recorded': '巡查记录已提交',
  'Overdue inspections': '逾期未巡查',
  'never inspected': '从未巡查',
  'risk points covered': '风险点视频覆盖率',
  'last inspected': '上次巡查于',
  'days ago': '天前',
  'alerts waiting over 24 h': '条警情超24小时未签收',
  'days overdue': '天逾期',
  'Back to the map': '返回地图',
  'Leadership view': '领导视图',
  'red': '红牌',
  'yellow': '黄牌',
  'none': '无',
  // popups
  'Vessel': '船舶',
  'Person': '人员',
  'Vehicle': '车辆',
  'Moving object': '移动目标',
  'seen by camera': '（视频发现）',
  'no AIS': '无AIS',
  'Class': '类别',
  'Camera': '摄像机',
  'AIS': 'AIS',
  'Seen from': '首次发现',
  'Hull marking': '船名船号',
  Plate: '车牌',
  'Seen to': '最后发现',
  'MMSI': 'MMSI',
  'Call sign': '呼号',
  'IMO': 'IMO',
  'Ship type': '船舶类型',
  'Speed': '航速',
  'Course': '航向',
  'Heading': '船首向',
  'Last seen': '最后更新',
  'Flags': '异常标记',
  'Range': '作用距离',
  'Field of view': '视场角',
  'Agency': '所属单位',
  'Kind': '类型',
  'Registered': '已登记',
  'Card': '红黄牌',
  'yes': '是',
  'no': '否',
  'video:': '视频：',
  'frame of': '画面时间',
};

/** Chinese names of the API's values, per kind of value. */
const ZH_VALUES = {
  kind: {
    geofence_enter: '闯入电子围栏', geofence_exit: '驶离电子围栏', geofence_dwell: '围栏内滞留',
    ais_gap: 'AIS信号中断', encounter: '海上船舶靠帮', loitering: '异常徘徊',
    unregistered_landing: '非法点位靠岸', identity_anomaly: '身份异常', dark_vessel: '无AIS船舶',
    route_deviation: '偏离规定路线', gps_off: '车辆GPS关闭', night_movement: '夜间异常行驶',
    tip: '群众举报', vehicle_alarm: '车载终端报警', watchlist_vehicle: '布控车辆',
  },
  status: { open: '待签收', acknowledged: '已签收', assigned: '已指派', resolved: '已处置' },
  severity: { critical: '紧急', warning: '警告', info: '提示' },
  outcome: { confirmed: '确认走私', false_alarm: '误报', other: '其他', no_violation: '未发现违法' },
  case_status: { open: '待处理', investigating: '调查中', handed_over: '已移交', closed: '已结案' },
  agency: { coast_guard: '海警', police: '公安', customs: '海关', agriculture: '农业农村', market: '市场监管', transport: '交通运输' },
  goods: { frozen_food: '冻品', refined_oil: '成品油', cigarettes: '香烟', agricultural_products: '农产品', other: '其他' },
  card: { red: '红牌', yellow: '黄牌', none: '无' },
  reason: {
    confirmed_case: '发生走私案件', not_covered: '无视频覆盖', low_coverage: '视频覆盖率不足80%',
    inspection_overdue: '巡查逾期', unacknowledged_alerts: '警情超24小时未签收', manual: '管理员设定',
  },
  unit: { town: '乡镇', village: '村（社区）', risk_point: '风险点' },
  gap: { range: '超出摄像机作用距离', fov: '不在摄像机视场内', terrain: '被地形遮挡' },
  result: { ok: '正常', issues: '发现问题' },
  layer: {
    areas: '乡镇', coastline: '岸线', ais_density: 'AIS密度', coverage_gaps: '监控盲区', camera_coverage: '视频覆盖',
    geofences: '电子围栏', risk_points: '风险点（一港两企三库）', cameras: '摄像机', vehicle_routes: '车辆轨迹',
    vessel_tracks: '船舶轨迹', camera_tracks: '视频目标轨迹', vehicles: '车辆', vessels: '船舶', alerts: '警情',
    cards: '红黄牌', inspections: '巡查记录', cases: '案件',
  },
  risk_kind: {
    dock: '码头', oil_depot: '油库', cold_store: '冷库', shipyard: '船厂', warehouse: '仓库',
    truck_firm: '货运企业', crane_firm: '吊装企业', fuel_point: '加油点', anchorage: '锚地',
  },
};

/** English names of the values where the API's own name does not read well. */
const EN_VALUES = {
  layer: {
    areas: 'Towns', coastline: 'Coastline', ais_density: 'AIS density', coverage_gaps: 'Coverage gaps',
    camera_coverage: 'Camera coverage', geofences: 'Geofences', risk_points: 'Risk points', cameras: 'Cameras',
    vehicle_routes: 'Vehicle routes', vessel_tracks: 'Vessel tracks', camera_tracks: 'Camera tracks',
    vehicles: 'Vehicles', vessels: 'Vessels', alerts: 'Alerts', cards: 'Cards', inspections: 'Inspections', cases: 'Cases',
  },
  agency: { coast_guard: 'coast guard', market: 'market regulation' },
  card: { red: 'red card', yellow: 'yellow card', none: 'no card' },
  gap: { range: 'out of every camera\'s range', fov: 'outside every field of view', terrain: 'hidden by terrain' },
};

/** The interface text `text` (English) in the page's language. */
export function t(text) {
  return lang() === 'zh-CN' ? ZH[text] ?? text : text;
}

/** The name of the API value `value` of kind `what` (kind, status, agency…) in the page's language. */
export function name(what, value) {
  if (value === undefined || value === null || value === '') return '';
  const table = lang() === 'zh-CN' ? ZH_VALUES : EN_VALUES;
  return table[what]?.[value] ?? String(value).replaceAll('_', ' ');
}

/** Epoch seconds as a time of day on the district's clock. */
export function clock(s) {
  return new Intl.DateTimeFormat(lang(), { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .format(new Date(s * 1000));
}

/** Epoch seconds as date and time on the district's clock. */
export function dateTime(s) {
  if (!s) return '';
  return new Intl.DateTimeFormat(lang(), {
    timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).format(new Date(s * 1000));
}

/** Translates the page's fixed texts (`data-i18n`, `data-i18n-placeholder`) and sets `<html lang>`. */
export function translatePage() {
  document.documentElement.lang = lang();
  for (const element of document.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const element of document.querySelectorAll('[data-i18n-placeholder]')) {
    element.placeholder = t(element.dataset.i18nPlaceholder);
  }
  const select = document.getElementById('lang');
  if (select) {
    select.value = lang();
    select.addEventListener('change', () => {
      setLang(select.value);
      location.reload();
    });
  }
}
