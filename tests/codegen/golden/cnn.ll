; ModuleID = "tenkai"
target triple = "x86_64-unknown-linux-gnu"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define void @g0(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4) noinline nounwind
{
v5:
  %v6 = alloca ptr, i32 5
  %v7 = alloca ptr, i32 5
  br label %v8
v9:
  %v10 = getelementptr inbounds ptr, ptr %v6, i64 0
  store ptr %v0, ptr %v10
  %v11 = getelementptr inbounds ptr, ptr %v6, i64 1
  store ptr %v1, ptr %v11
  %v12 = getelementptr inbounds ptr, ptr %v6, i64 2
  store ptr %v2, ptr %v12
  %v13 = getelementptr inbounds ptr, ptr %v6, i64 3
  store ptr %v3, ptr %v13
  %v14 = getelementptr inbounds ptr, ptr %v6, i64 4
  store ptr %v4, ptr %v14
  call void @g1(void (ptr, i64, i64)* @g2, ptr %v6, i64 3, i64 1)
  br label %v15
v16:
  %v17 = phi  i64 [0, %v8], [%v18, %v15]
  %v19 = mul i64 %v17, 0
  %v20 = add i64 0, %v19
  %v21 = mul i64 %v17, 784
  %v22 = add i64 0, %v21
  %v23 = mul i64 %v17, 12544
  %v24 = add i64 0, %v23
  %v25 = getelementptr inbounds float, ptr %v2, i64 %v20
  %v26 = getelementptr inbounds float, ptr %v0, i64 %v22
  %v27 = getelementptr inbounds float, ptr %v3, i64 %v24
  call void @g3(i64 16, i64 784, i64 9, ptr %v25, i64 9, i64 1, ptr %v26, i64 25088, i64 1, ptr %v27, i64 784, i32 0)
  %v18 = add nuw nsw i64 %v17, 1
  %v28 = icmp slt i64 %v18, 32
  br i1 %v28, label %v15, label %v29
v30:
  %v31 = getelementptr inbounds ptr, ptr %v7, i64 0
  store ptr %v0, ptr %v31
  %v32 = getelementptr inbounds ptr, ptr %v7, i64 1
  store ptr %v1, ptr %v32
  %v33 = getelementptr inbounds ptr, ptr %v7, i64 2
  store ptr %v2, ptr %v33
  %v34 = getelementptr inbounds ptr, ptr %v7, i64 3
  store ptr %v3, ptr %v34
  %v35 = getelementptr inbounds ptr, ptr %v7, i64 4
  store ptr %v4, ptr %v35
  call void @g1(void (ptr, i64, i64)* @g4, ptr %v7, i64 32, i64 2)
  ret void
}

define internal void @g5(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, i64 %v5, i64 %v6) nounwind
{
v7:
  br label %v8
v9:
  %v10 = icmp slt i64 %v5, %v6
  br i1 %v10, label %v11, label %v12
v13:
  %v14 = phi  i64 [%v5, %v8], [%v15, %v16]
  br label %v17
v18:
  ret void
v19:
  %v20 = phi  i64 [0, %v11], [%v21, %v22]
  br label %v23
v24:
  %v15 = add nuw nsw i64 %v14, 1
  %v25 = icmp slt i64 %v15, %v6
  br i1 %v25, label %v11, label %v12
v26:
  %v27 = phi  i64 [0, %v17], [%v28, %v29]
  br label %v30
v31:
  %v21 = add nuw nsw i64 %v20, 1
  %v32 = icmp slt i64 %v21, 3
  br i1 %v32, label %v17, label %v16
v33:
  %v34 = phi  i64 [0, %v23], [%v35, %v36]
  br label %v37
v38:
  %v28 = add nuw nsw i64 %v27, 1
  %v39 = icmp slt i64 %v28, 32
  br i1 %v39, label %v23, label %v22, !llvm.loop !1
v40:
  %v41 = phi  i64 [0, %v30], [%v42, %v37]
  %v43 = add i64 %v14, %v34
  %v44 = add i64 %v43, -1
  %v45 = icmp sge i64 %v44, 0
  %v46 = add i64 %v14, %v34
  %v47 = add i64 %v46, -1
  %v48 = icmp slt i64 %v47, 28
  %v49 = and i1 %v45, %v48
  %v50 = add i64 %v20, %v41
  %v51 = add i64 %v50, -1
  %v52 = icmp sge i64 %v51, 0
  %v53 = and i1 %v49, %v52
  %v54 = add i64 %v20, %v41
  %v55 = add i64 %v54, -1
  %v56 = icmp slt i64 %v55, 28
  %v57 = and i1 %v53, %v56
  %v58 = mul i64 %v27, 784
  %v59 = add i64 %v14, %v34
  %v60 = add i64 %v59, -1
  %v61 = icmp sgt i64 %v60, 0
  %v62 = select  i1 %v61, i64 %v60, i64 0
  %v63 = icmp slt i64 %v62, 27
  %v64 = select  i1 %v63, i64 %v62, i64 27
  %v65 = mul i64 %v64, 28
  %v66 = add i64 %v58, %v65
  %v67 = add i64 %v20, %v41
  %v68 = add i64 %v67, -1
  %v69 = icmp sgt i64 %v68, 0
  %v70 = select  i1 %v69, i64 %v68, i64 0
  %v71 = icmp slt i64 %v70, 27
  %v72 = select  i1 %v71, i64 %v70, i64 27
  %v73 = add i64 %v66, %v72
  %v74 = getelementptr inbounds float, ptr %v1, i64 %v73
  %v75 = load float, ptr %v74, align 4
  %v76 = select  i1 %v57, float %v75, float              0x0
  %v77 = mul i64 %v14, 75264
  %v78 = mul i64 %v20, 25088
  %v79 = add i64 %v77, %v78
  %v80 = mul i64 %v27, 784
  %v81 = add i64 %v79, %v80
  %v82 = mul i64 %v34, 28
  %v83 = add i64 %v81, %v82
  %v84 = add i64 %v83, %v41
  %v85 = getelementptr inbounds float, ptr %v0, i64 %v84
  store float %v76, ptr %v85, align 4
  %v42 = add nuw nsw i64 %v41, 1
  %v86 = icmp slt i64 %v42, 28
  br i1 %v86, label %v37, label %v36
v87:
  %v35 = add nuw nsw i64 %v34, 1
  %v88 = icmp slt i64 %v35, 28
  br i1 %v88, label %v30, label %v29, !llvm.loop !1
}

define internal void @g2(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v9 = load ptr, ptr %v8
  %v10 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v11 = load ptr, ptr %v10
  %v12 = getelementptr inbounds ptr, ptr %v0, i64 4
  %v13 = load ptr, ptr %v12
  call void @g5(ptr %v5, ptr %v7, ptr %v9, ptr %v11, ptr %v13, i64 %v1, i64 %v2)
  ret void
}

declare void @g1(void (ptr, i64, i64)* %v0, ptr %v1, i64 %v2, i64 %v14)

declare void @g3(i64 %v0, i64 %v1, i64 %v2, ptr %v14, i64 %v4, i64 %v5, ptr %v6, i64 %v7, i64 %v8, ptr %v9, i64 %v10, i32 %v11)

define internal void @g6(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, i64 %v5, i64 %v6) nounwind
{
v7:
  br label %v8
v9:
  %v10 = icmp slt i64 %v5, %v6
  br i1 %v10, label %v11, label %v12
v13:
  %v14 = phi  i64 [%v5, %v8], [%v15, %v16]
  br label %v17
v18:
  ret void
v19:
  %v20 = phi  i64 [0, %v11], [%v21, %v22]
  br label %v23
v24:
  %v15 = add nuw nsw i64 %v14, 1
  %v25 = icmp slt i64 %v15, %v6
  br i1 %v25, label %v11, label %v12, !llvm.loop !1
v26:
  %v27 = phi  i64 [0, %v17], [%v28, %v23]
  %v29 = mul i64 %v14, 12544
  %v30 = mul i64 %v20, 784
  %v31 = add i64 %v29, %v30
  %v32 = add i64 %v31, %v27
  %v33 = getelementptr inbounds float, ptr %v3, i64 %v32
  %v34 = load float, ptr %v33, align 4
  %v35 = getelementptr inbounds float, ptr %v4, i64 %v20
  %v36 = load float, ptr %v35, align 4
  %v37 = fadd float %v34, %v36
  %v38 = fcmp ogt float %v37,              0x0
  %v39 = fcmp uno float %v37, %v37
  %v40 = or i1 %v38, %v39
  %v41 = select  i1 %v40, float %v37, float              0x0
  %v42 = mul i64 %v14, 12544
  %v43 = mul i64 %v20, 784
  %v44 = add i64 %v42, %v43
  %v45 = add i64 %v44, %v27
  %v46 = getelementptr inbounds float, ptr %v3, i64 %v45
  store float %v41, ptr %v46, align 4
  %v28 = add nuw nsw i64 %v27, 1
  %v47 = icmp slt i64 %v28, 784
  br i1 %v47, label %v23, label %v22, !llvm.loop !1
v48:
  %v21 = add nuw nsw i64 %v20, 1
  %v49 = icmp slt i64 %v21, 16
  br i1 %v49, label %v17, label %v16, !llvm.loop !1
}

define internal void @g4(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v9 = load ptr, ptr %v8
  %v10 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v11 = load ptr, ptr %v10
  %v12 = getelementptr inbounds ptr, ptr %v0, i64 4
  %v13 = load ptr, ptr %v12
  call void @g6(ptr %v5, ptr %v7, ptr %v9, ptr %v11, ptr %v13, i64 %v1, i64 %v2)
  ret void
}

define void @g7(ptr noalias %v0, ptr noalias %v1) noinline nounwind
{
v2:
  %v3 = alloca ptr, i32 2
  br label %v4
v5:
  %v6 = getelementptr inbounds ptr, ptr %v3, i64 0
  store ptr %v0, ptr %v6
  %v7 = getelementptr inbounds ptr, ptr %v3, i64 1
  store ptr %v1, ptr %v7
  call void @g1(void (ptr, i64, i64)* @g8, ptr %v3, i64 7168, i64 781)
  ret void
}

define internal void @g9(ptr noalias %v0, ptr noalias %v1, i64 %v2, i64 %v3) nounwind
{
v4:
  %v5 = alloca float
  br label %v6
v7:
  %v8 = icmp slt i64 %v2, %v3
  br i1 %v8, label %v9, label %v10
v11:
  %v12 = phi  i64 [%v2, %v6], [%v13, %v14]
  br label %v15
v16:
  ret void
v17:
  %v18 = phi  i64 [0, %v9], [%v19, %v20]
  store float 0xfff0000000000000, float* %v5
  br label %v21
v22:
  %v13 = add nuw nsw i64 %v12, 1
  %v23 = icmp slt i64 %v13, %v3
  br i1 %v23, label %v9, label %v10, !llvm.loop !1
v24:
  %v25 = phi  i64 [0, %v15], [%v26, %v27]
  br label %v28
v29:
  %v30 = load float, float* %v5
  %v31 = mul i64 %v12, 14
  %v32 = add i64 %v31, %v18
  %v33 = getelementptr inbounds float, ptr %v1, i64 %v32
  store float %v30, ptr %v33, align 4
  %v19 = add nuw nsw i64 %v18, 1
  %v34 = icmp slt i64 %v19, 14
  br i1 %v34, label %v15, label %v14
v35:
  %v36 = phi  i64 [0, %v21], [%v37, %v28]
  %v38 = mul i64 %v12, 56
  %v39 = mul i64 %v18, 2
  %v40 = add i64 %v38, %v39
  %v41 = mul i64 %v25, 28
  %v42 = add i64 %v40, %v41
  %v43 = add i64 %v42, %v36
  %v44 = getelementptr inbounds float, ptr %v0, i64 %v43
  %v45 = load float, ptr %v44, align 4
  %v46 = load float, float* %v5
  %v47 = call float @g10(float %v46, float %v45)
  store float %v47, float* %v5
  %v37 = add nuw nsw i64 %v36, 1
  %v48 = icmp slt i64 %v37, 2
  br i1 %v48, label %v28, label %v27
v49:
  %v26 = add nuw nsw i64 %v25, 1
  %v50 = icmp slt i64 %v26, 2
  br i1 %v50, label %v21, label %v20
}

declare float @g10(float %v51, float %v52)

define internal void @g8(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  call void @g9(ptr %v5, ptr %v7, i64 %v1, i64 %v2)
  ret void
}

define void @g11(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4) noinline nounwind
{
v5:
  %v6 = alloca ptr, i32 5
  %v7 = alloca ptr, i32 5
  %v8 = alloca ptr, i32 5
  %v9 = alloca ptr, i32 5
  %v10 = alloca ptr, i32 5
  br label %v11
v12:
  %v13 = getelementptr inbounds ptr, ptr %v6, i64 0
  store ptr %v0, ptr %v13
  %v14 = getelementptr inbounds ptr, ptr %v6, i64 1
  store ptr %v1, ptr %v14
  %v15 = getelementptr inbounds ptr, ptr %v6, i64 2
  store ptr %v2, ptr %v15
  %v16 = getelementptr inbounds ptr, ptr %v6, i64 3
  store ptr %v3, ptr %v16
  %v17 = getelementptr inbounds ptr, ptr %v6, i64 4
  store ptr %v4, ptr %v17
  call void @g1(void (ptr, i64, i64)* @g12, ptr %v6, i64 16, i64 5)
  br label %v18
v19:
  %v20 = phi  i64 [0, %v11], [%v21, %v18]
  %v22 = mul i64 %v20, 0
  %v23 = add i64 0, %v22
  %v24 = mul i64 %v20, 196
  %v25 = add i64 0, %v24
  %v26 = mul i64 %v20, 6272
  %v27 = add i64 0, %v26
  %v28 = getelementptr inbounds float, ptr %v2, i64 %v23
  %v29 = getelementptr inbounds float, ptr %v0, i64 %v25
  %v30 = getelementptr inbounds float, ptr %v3, i64 %v27
  call void @g3(i64 32, i64 196, i64 144, ptr %v28, i64 144, i64 1, ptr %v29, i64 1568, i64 1, ptr %v30, i64 196, i32 0)
  %v21 = add nuw nsw i64 %v20, 1
  %v31 = icmp slt i64 %v21, 8
  br i1 %v31, label %v18, label %v32
v33:
  %v34 = getelementptr inbounds ptr, ptr %v7, i64 0
  store ptr %v0, ptr %v34
  %v35 = getelementptr float, ptr %v1, i64 25088
  %v36 = getelementptr inbounds ptr, ptr %v7, i64 1
  store ptr %v35, ptr %v36
  %v37 = getelementptr inbounds ptr, ptr %v7, i64 2
  store ptr %v2, ptr %v37
  %v38 = getelementptr inbounds ptr, ptr %v7, i64 3
  store ptr %v3, ptr %v38
  %v39 = getelementptr inbounds ptr, ptr %v7, i64 4
  store ptr %v4, ptr %v39
  call void @g1(void (ptr, i64, i64)* @g12, ptr %v7, i64 16, i64 5)
  br label %v40
v41:
  %v42 = phi  i64 [0, %v32], [%v43, %v40]
  %v44 = mul i64 %v42, 0
  %v45 = add i64 0, %v44
  %v46 = mul i64 %v42, 196
  %v47 = add i64 0, %v46
  %v48 = mul i64 %v42, 6272
  %v49 = add i64 50176, %v48
  %v50 = getelementptr inbounds float, ptr %v2, i64 %v45
  %v51 = getelementptr inbounds float, ptr %v0, i64 %v47
  %v52 = getelementptr inbounds float, ptr %v3, i64 %v49
  call void @g3(i64 32, i64 196, i64 144, ptr %v50, i64 144, i64 1, ptr %v51, i64 1568, i64 1, ptr %v52, i64 196, i32 0)
  %v43 = add nuw nsw i64 %v42, 1
  %v53 = icmp slt i64 %v43, 8
  br i1 %v53, label %v40, label %v54
v55:
  %v56 = getelementptr inbounds ptr, ptr %v8, i64 0
  store ptr %v0, ptr %v56
  %v57 = getelementptr float, ptr %v1, i64 50176
  %v58 = getelementptr inbounds ptr, ptr %v8, i64 1
  store ptr %v57, ptr %v58
  %v59 = getelementptr inbounds ptr, ptr %v8, i64 2
  store ptr %v2, ptr %v59
  %v60 = getelementptr inbounds ptr, ptr %v8, i64 3
  store ptr %v3, ptr %v60
  %v61 = getelementptr inbounds ptr, ptr %v8, i64 4
  store ptr %v4, ptr %v61
  call void @g1(void (ptr, i64, i64)* @g12, ptr %v8, i64 16, i64 5)
  br label %v62
v63:
  %v64 = phi  i64 [0, %v54], [%v65, %v62]
  %v66 = mul i64 %v64, 0
  %v67 = add i64 0, %v66
  %v68 = mul i64 %v64, 196
  %v69 = add i64 0, %v68
  %v70 = mul i64 %v64, 6272
  %v71 = add i64 100352, %v70
  %v72 = getelementptr inbounds float, ptr %v2, i64 %v67
  %v73 = getelementptr inbounds float, ptr %v0, i64 %v69
  %v74 = getelementptr inbounds float, ptr %v3, i64 %v71
  call void @g3(i64 32, i64 196, i64 144, ptr %v72, i64 144, i64 1, ptr %v73, i64 1568, i64 1, ptr %v74, i64 196, i32 0)
  %v65 = add nuw nsw i64 %v64, 1
  %v75 = icmp slt i64 %v65, 8
  br i1 %v75, label %v62, label %v76
v77:
  %v78 = getelementptr inbounds ptr, ptr %v9, i64 0
  store ptr %v0, ptr %v78
  %v79 = getelementptr float, ptr %v1, i64 75264
  %v80 = getelementptr inbounds ptr, ptr %v9, i64 1
  store ptr %v79, ptr %v80
  %v81 = getelementptr inbounds ptr, ptr %v9, i64 2
  store ptr %v2, ptr %v81
  %v82 = getelementptr inbounds ptr, ptr %v9, i64 3
  store ptr %v3, ptr %v82
  %v83 = getelementptr inbounds ptr, ptr %v9, i64 4
  store ptr %v4, ptr %v83
  call void @g1(void (ptr, i64, i64)* @g12, ptr %v9, i64 16, i64 5)
  br label %v84
v85:
  %v86 = phi  i64 [0, %v76], [%v87, %v84]
  %v88 = mul i64 %v86, 0
  %v89 = add i64 0, %v88
  %v90 = mul i64 %v86, 196
  %v91 = add i64 0, %v90
  %v92 = mul i64 %v86, 6272
  %v93 = add i64 150528, %v92
  %v94 = getelementptr inbounds float, ptr %v2, i64 %v89
  %v95 = getelementptr inbounds float, ptr %v0, i64 %v91
  %v96 = getelementptr inbounds float, ptr %v3, i64 %v93
  call void @g3(i64 32, i64 196, i64 144, ptr %v94, i64 144, i64 1, ptr %v95, i64 1568, i64 1, ptr %v96, i64 196, i32 0)
  %v87 = add nuw nsw i64 %v86, 1
  %v97 = icmp slt i64 %v87, 8
  br i1 %v97, label %v84, label %v98
v99:
  %v100 = getelementptr inbounds ptr, ptr %v10, i64 0
  store ptr %v0, ptr %v100
  %v101 = getelementptr inbounds ptr, ptr %v10, i64 1
  store ptr %v1, ptr %v101
  %v102 = getelementptr inbounds ptr, ptr %v10, i64 2
  store ptr %v2, ptr %v102
  %v103 = getelementptr inbounds ptr, ptr %v10, i64 3
  store ptr %v3, ptr %v103
  %v104 = getelementptr inbounds ptr, ptr %v10, i64 4
  store ptr %v4, ptr %v104
  call void @g1(void (ptr, i64, i64)* @g13, ptr %v10, i64 32, i64 4)
  ret void
}

define internal void @g14(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, i64 %v5, i64 %v6) nounwind
{
v7:
  br label %v8
v9:
  %v10 = icmp slt i64 %v5, %v6
  br i1 %v10, label %v11, label %v12
v13:
  %v14 = phi  i64 [%v5, %v8], [%v15, %v16]
  br label %v17
v18:
  ret void
v19:
  %v20 = phi  i64 [0, %v11], [%v21, %v22]
  br label %v23
v24:
  %v15 = add nuw nsw i64 %v14, 1
  %v25 = icmp slt i64 %v15, %v6
  br i1 %v25, label %v11, label %v12, !llvm.loop !1
v26:
  %v27 = phi  i64 [0, %v17], [%v28, %v29]
  br label %v30
v31:
  %v21 = add nuw nsw i64 %v20, 1
  %v32 = icmp slt i64 %v21, 3
  br i1 %v32, label %v17, label %v16
v33:
  %v34 = phi  i64 [0, %v23], [%v35, %v36]
  br label %v37
v38:
  %v28 = add nuw nsw i64 %v27, 1
  %v39 = icmp slt i64 %v28, 3
  br i1 %v39, label %v23, label %v22
v40:
  %v41 = phi  i64 [0, %v30], [%v42, %v43]
  br label %v44
v45:
  %v35 = add nuw nsw i64 %v34, 1
  %v46 = icmp slt i64 %v35, 8
  br i1 %v46, label %v30, label %v29, !llvm.loop !1
v47:
  %v48 = phi  i64 [0, %v37], [%v49, %v44]
  %v50 = add i64 %v20, %v41
  %v51 = add i64 %v50, -1
  %v52 = icmp sge i64 %v51, 0
  %v53 = add i64 %v20, %v41
  %v54 = add i64 %v53, -1
  %v55 = icmp slt i64 %v54, 14
  %v56 = and i1 %v52, %v55
  %v57 = add i64 %v27, %v48
  %v58 = add i64 %v57, -1
  %v59 = icmp sge i64 %v58, 0
  %v60 = and i1 %v56, %v59
  %v61 = add i64 %v27, %v48
  %v62 = add i64 %v61, -1
  %v63 = icmp slt i64 %v62, 14
  %v64 = and i1 %v60, %v63
  %v65 = mul i64 %v14, 196
  %v66 = mul i64 %v34, 3136
  %v67 = add i64 %v65, %v66
  %v68 = add i64 %v20, %v41
  %v69 = add i64 %v68, -1
  %v70 = icmp sgt i64 %v69, 0
  %v71 = select  i1 %v70, i64 %v69, i64 0
  %v72 = icmp slt i64 %v71, 13
  %v73 = select  i1 %v72, i64 %v71, i64 13
  %v74 = mul i64 %v73, 14
  %v75 = add i64 %v67, %v74
  %v76 = add i64 %v27, %v48
  %v77 = add i64 %v76, -1
  %v78 = icmp sgt i64 %v77, 0
  %v79 = select  i1 %v78, i64 %v77, i64 0
  %v80 = icmp slt i64 %v79, 13
  %v81 = select  i1 %v80, i64 %v79, i64 13
  %v82 = add i64 %v75, %v81
  %v83 = getelementptr inbounds float, ptr %v1, i64 %v82
  %v84 = load float, ptr %v83, align 4
  %v85 = select  i1 %v64, float %v84, float              0x0
  %v86 = mul i64 %v14, 14112
  %v87 = mul i64 %v20, 4704
  %v88 = add i64 %v86, %v87
  %v89 = mul i64 %v27, 1568
  %v90 = add i64 %v88, %v89
  %v91 = mul i64 %v34, 196
  %v92 = add i64 %v90, %v91
  %v93 = mul i64 %v41, 14
  %v94 = add i64 %v92, %v93
  %v95 = add i64 %v94, %v48
  %v96 = getelementptr inbounds float, ptr %v0, i64 %v95
  store float %v85, ptr %v96, align 4
  %v49 = add nuw nsw i64 %v48, 1
  %v97 = icmp slt i64 %v49, 14
  br i1 %v97, label %v44, label %v43
v98:
  %v42 = add nuw nsw i64 %v41, 1
  %v99 = icmp slt i64 %v42, 14
  br i1 %v99, label %v37, label %v36, !llvm.loop !1
}

define internal void @g12(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v9 = load ptr, ptr %v8
  %v10 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v11 = load ptr, ptr %v10
  %v12 = getelementptr inbounds ptr, ptr %v0, i64 4
  %v13 = load ptr, ptr %v12
  call void @g14(ptr %v5, ptr %v7, ptr %v9, ptr %v11, ptr %v13, i64 %v1, i64 %v2)
  ret void
}

define internal void @g15(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, i64 %v5, i64 %v6) nounwind
{
v7:
  br label %v8
v9:
  %v10 = icmp slt i64 %v5, %v6
  br i1 %v10, label %v11, label %v12
v13:
  %v14 = phi  i64 [%v5, %v8], [%v15, %v16]
  br label %v17
v18:
  ret void
v19:
  %v20 = phi  i64 [0, %v11], [%v21, %v22]
  br label %v23
v24:
  %v15 = add nuw nsw i64 %v14, 1
  %v25 = icmp slt i64 %v15, %v6
  br i1 %v25, label %v11, label %v12, !llvm.loop !1
v26:
  %v27 = phi  i64 [0, %v17], [%v28, %v23]
  %v29 = mul i64 %v14, 6272
  %v30 = mul i64 %v20, 196
  %v31 = add i64 %v29, %v30
  %v32 = add i64 %v31, %v27
  %v33 = getelementptr inbounds float, ptr %v3, i64 %v32
  %v34 = load float, ptr %v33, align 4
  %v35 = getelementptr inbounds float, ptr %v4, i64 %v20
  %v36 = load float, ptr %v35, align 4
  %v37 = fadd float %v34, %v36
  %v38 = fcmp ogt float %v37,              0x0
  %v39 = fcmp uno float %v37, %v37
  %v40 = or i1 %v38, %v39
  %v41 = select  i1 %v40, float %v37, float              0x0
  %v42 = mul i64 %v14, 6272
  %v43 = mul i64 %v20, 196
  %v44 = add i64 %v42, %v43
  %v45 = add i64 %v44, %v27
  %v46 = getelementptr inbounds float, ptr %v3, i64 %v45
  store float %v41, ptr %v46, align 4
  %v28 = add nuw nsw i64 %v27, 1
  %v47 = icmp slt i64 %v28, 196
  br i1 %v47, label %v23, label %v22, !llvm.loop !1
v48:
  %v21 = add nuw nsw i64 %v20, 1
  %v49 = icmp slt i64 %v21, 32
  br i1 %v49, label %v17, label %v16, !llvm.loop !1
}

define internal void @g13(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v9 = load ptr, ptr %v8
  %v10 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v11 = load ptr, ptr %v10
  %v12 = getelementptr inbounds ptr, ptr %v0, i64 4
  %v13 = load ptr, ptr %v12
  call void @g15(ptr %v5, ptr %v7, ptr %v9, ptr %v11, ptr %v13, i64 %v1, i64 %v2)
  ret void
}

define void @g16(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2) noinline nounwind
{
v3:
  %v4 = alloca ptr, i32 3
  %v5 = alloca ptr, i32 3
  br label %v6
v7:
  %v8 = getelementptr inbounds ptr, ptr %v4, i64 0
  store ptr %v0, ptr %v8
  %v9 = getelementptr inbounds ptr, ptr %v4, i64 1
  store ptr %v1, ptr %v9
  %v10 = getelementptr inbounds ptr, ptr %v4, i64 2
  store ptr %v2, ptr %v10
  call void @g1(void (ptr, i64, i64)* @g17, ptr %v4, i64 7168, i64 1561)
  %v11 = getelementptr inbounds ptr, ptr %v5, i64 0
  store ptr %v0, ptr %v11
  %v12 = getelementptr inbounds ptr, ptr %v5, i64 1
  store ptr %v1, ptr %v12
  %v13 = getelementptr inbounds ptr, ptr %v5, i64 2
  store ptr %v2, ptr %v13
  call void @g1(void (ptr, i64, i64)* @g18, ptr %v5, i64 50176, i64 32768)
  ret void
}

define internal void @g19(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, i64 %v3, i64 %v4) nounwind
{
v5:
  %v6 = alloca float
  br label %v7
v8:
  %v9 = icmp slt i64 %v3, %v4
  br i1 %v9, label %v10, label %v11
v12:
  %v13 = phi  i64 [%v3, %v7], [%v14, %v15]
  br label %v16
v17:
  ret void
v18:
  %v19 = phi  i64 [0, %v10], [%v20, %v21]
  store float 0xfff0000000000000, float* %v6
  br label %v22
v23:
  %v14 = add nuw nsw i64 %v13, 1
  %v24 = icmp slt i64 %v14, %v4
  br i1 %v24, label %v10, label %v11, !llvm.loop !1
v25:
  %v26 = phi  i64 [0, %v16], [%v27, %v28]
  br label %v29
v30:
  %v31 = load float, float* %v6
  %v32 = mul i64 %v13, 7
  %v33 = add i64 %v32, %v19
  %v34 = getelementptr inbounds float, ptr %v1, i64 %v33
  store float %v31, ptr %v34, align 4
  %v20 = add nuw nsw i64 %v19, 1
  %v35 = icmp slt i64 %v20, 7
  br i1 %v35, label %v16, label %v15
v36:
  %v37 = phi  i64 [0, %v22], [%v38, %v29]
  %v39 = mul i64 %v13, 28
  %v40 = mul i64 %v19, 2
  %v41 = add i64 %v39, %v40
  %v42 = mul i64 %v26, 14
  %v43 = add i64 %v41, %v42
  %v44 = add i64 %v43, %v37
  %v45 = getelementptr inbounds float, ptr %v0, i64 %v44
  %v46 = load float, ptr %v45, align 4
  %v47 = load float, float* %v6
  %v48 = call float @g10(float %v47, float %v46)
  store float %v48, float* %v6
  %v38 = add nuw nsw i64 %v37, 1
  %v49 = icmp slt i64 %v38, 2
  br i1 %v49, label %v29, label %v28
v50:
  %v27 = add nuw nsw i64 %v26, 1
  %v51 = icmp slt i64 %v27, 2
  br i1 %v51, label %v22, label %v21
}

define internal void @g17(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v9 = load ptr, ptr %v8
  call void @g19(ptr %v5, ptr %v7, ptr %v9, i64 %v1, i64 %v2)
  ret void
}

define internal void @g20(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, i64 %v3, i64 %v4) nounwind
{
v5:
  br label %v6
v7:
  %v8 = icmp slt i64 %v3, %v4
  br i1 %v8, label %v9, label %v10
v11:
  %v12 = phi  i64 [%v3, %v6], [%v13, %v9]
  %v14 = getelementptr inbounds float, ptr %v1, i64 %v12
  %v15 = load float, ptr %v14, align 4
  %v16 = getelementptr inbounds float, ptr %v2, i64 %v12
  store float %v15, ptr %v16, align 4
  %v13 = add nuw nsw i64 %v12, 1
  %v17 = icmp slt i64 %v13, %v4
  br i1 %v17, label %v9, label %v10, !llvm.loop !1
v18:
  ret void
}

define internal void @g18(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v9 = load ptr, ptr %v8
  call void @g20(ptr %v5, ptr %v7, ptr %v9, i64 %v1, i64 %v2)
  ret void
}

define void @g21(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3) noinline nounwind
{
v4:
  br label %v5
v6:
  %v7 = getelementptr inbounds float, ptr %v0, i64 0
  %v8 = getelementptr inbounds float, ptr %v1, i64 0
  %v9 = getelementptr inbounds float, ptr %v2, i64 0
  call void @g3(i64 32, i64 10, i64 1568, ptr %v7, i64 1568, i64 1, ptr %v8, i64 1, i64 1568, ptr %v9, i64 10, i32 0)
  br label %v10
v11:
  %v12 = phi  i64 [0, %v5], [%v13, %v14]
  br label %v15
v16:
  ret void
v17:
  %v18 = phi  i64 [0, %v10], [%v19, %v15]
  %v20 = mul i64 %v12, 10
  %v21 = add i64 %v20, %v18
  %v22 = getelementptr inbounds float, ptr %v2, i64 %v21
  %v23 = load float, ptr %v22, align 4
  %v24 = getelementptr inbounds float, ptr %v3, i64 %v18
  %v25 = load float, ptr %v24, align 4
  %v26 = fadd float %v23, %v25
  %v27 = mul i64 %v12, 10
  %v28 = add i64 %v27, %v18
  %v29 = getelementptr inbounds float, ptr %v2, i64 %v28
  store float %v26, ptr %v29, align 4
  %v19 = add nuw nsw i64 %v18, 1
  %v30 = icmp slt i64 %v19, 10
  br i1 %v30, label %v15, label %v14
v31:
  %v13 = add nuw nsw i64 %v12, 1
  %v32 = icmp slt i64 %v13, 32
  br i1 %v32, label %v10, label %v33, !llvm.loop !1
}

define void @g22(ptr noalias %v0, ptr noalias %v1) noinline nounwind
{
v2:
  %v3 = alloca float
  br label %v4
v5:
  br label %v6
v7:
  %v8 = phi  i64 [0, %v4], [%v9, %v10]
  store float 0xfff0000000000000, float* %v3
  br label %v11
v12:
  ret void
v13:
  %v14 = phi  i64 [0, %v6], [%v15, %v11]
  %v16 = mul i64 %v8, 10
  %v17 = add i64 %v16, %v14
  %v18 = getelementptr inbounds float, ptr %v0, i64 %v17
  %v19 = load float, ptr %v18, align 4
  %v20 = load float, float* %v3
  %v21 = call float @g10(float %v20, float %v19)
  store float %v21, float* %v3
  %v15 = add nuw nsw i64 %v14, 1
  %v22 = icmp slt i64 %v15, 10
  br i1 %v22, label %v11, label %v10
v23:
  %v24 = load float, float* %v3
  %v25 = getelementptr inbounds float, ptr %v1, i64 %v8
  store float %v24, ptr %v25, align 4
  %v9 = add nuw nsw i64 %v8, 1
  %v26 = icmp slt i64 %v9, 32
  br i1 %v26, label %v6, label %v27, !llvm.loop !1
}

define void @g23(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, ptr noalias %v5) noinline nounwind
{
v6:
  %v7 = alloca float
  br label %v8
v9:
  br label %v10
v11:
  %v12 = phi  i64 [0, %v8], [%v13, %v14]
  store float              0x0, float* %v7
  br label %v15
v16:
  br label %v17
v18:
  %v19 = phi  i64 [0, %v10], [%v20, %v15]
  %v21 = mul i64 %v12, 10
  %v22 = add i64 %v21, %v19
  %v23 = getelementptr inbounds float, ptr %v0, i64 %v22
  %v24 = load float, ptr %v23, align 4
  %v25 = getelementptr inbounds float, ptr %v1, i64 %v12
  %v26 = load float, ptr %v25, align 4
  %v27 = fsub float %v24, %v26
  %v28 = fcmp olt float %v27, 0xc05a000000000000
  %v29 = select  i1 %v28, float 0xc05a000000000000, float %v27
  %v30 = fcmp ogt float %v29, 0x4056400000000000
  %v31 = select  i1 %v30, float 0x4056400000000000, float %v29
  %v32 = fmul float %v31, 0x3ff7154760000000
  %v33 = call float @g24(float %v32)
  %v34 = fneg float %v33
  %v35 = call float @g25(float %v34, float 0x3fe62e4000000000, float %v31)
  %v36 = fneg float %v33
  %v37 = call float @g25(float %v36, float 0x3eb7f7d1c0000000, float %v35)
  %v38 = call float @g25(float 0x3f2a01a020000000, float %v37, float 0x3f56c16c20000000)
  %v39 = call float @g25(float %v38, float %v37, float 0x3f81111120000000)
  %v40 = call float @g25(float %v39, float %v37, float 0x3fa5555560000000)
  %v41 = call float @g25(float %v40, float %v37, float 0x3fc5555560000000)
  %v42 = call float @g25(float %v41, float %v37, float 0x3fe0000000000000)
  %v43 = fmul float %v37, %v37
  %v44 = call float @g25(float %v43, float %v42, float %v37)
  %v45 = fptosi float %v33 to i32
  %v46 = fadd float %v44, 0x3ff0000000000000
  %v47 = ashr i32 %v45, 1
  %v48 = add i32 %v47, 127
  %v49 = shl i32 %v48, 23
  %v50 = bitcast i32 %v49 to float
  %v51 = fmul float %v46, %v50
  %v52 = sub i32 %v45, %v47
  %v53 = add i32 %v52, 127
  %v54 = shl i32 %v53, 23
  %v55 = bitcast i32 %v54 to float
  %v56 = fmul float %v51, %v55
  %v57 = fcmp uno float %v27, %v27
  %v58 = select  i1 %v57, float %v27, float %v56
  %v59 = mul i64 %v12, 10
  %v60 = add i64 %v59, %v19
  %v61 = getelementptr inbounds float, ptr %v2, i64 %v60
  store float %v27, ptr %v61, align 4
  %v62 = mul i64 %v12, 10
  %v63 = add i64 %v62, %v19
  %v64 = getelementptr inbounds float, ptr %v3, i64 %v63
  store float %v58, ptr %v64, align 4
  %v65 = load float, float* %v7
  %v66 = fadd reassoc float %v65, %v58
  store float %v66, float* %v7
  %v20 = add nuw nsw i64 %v19, 1
  %v67 = icmp slt i64 %v20, 10
  br i1 %v67, label %v15, label %v14
v68:
  %v69 = load float, float* %v7
  %v70 = getelementptr inbounds float, ptr %v4, i64 %v12
  store float %v69, ptr %v70, align 4
  %v13 = add nuw nsw i64 %v12, 1
  %v71 = icmp slt i64 %v13, 32
  br i1 %v71, label %v10, label %v72, !llvm.loop !1
v73:
  %v74 = phi  i64 [0, %v72], [%v75, %v17]
  %v76 = getelementptr inbounds float, ptr %v4, i64 %v74
  %v77 = load float, ptr %v76, align 4
  %v78 = fcmp olt float %v77, 0x3810000000000000
  %v79 = fmul float %v77, 0x4160000000000000
  %v80 = select  i1 %v78, float %v79, float %v77
  %v81 = bitcast float %v80 to i32
  %v82 = lshr i32 %v81, 23
  %v83 = sub i32 %v82, 127
  %v84 = select  i1 %v78, i32 23, i32 0
  %v85 = sub i32 %v83, %v84
  %v86 = and i32 %v81, 8388607
  %v87 = or i32 %v86, 1065353216
  %v88 = bitcast i32 %v87 to float
  %v89 = fcmp ogt float %v88, 0x3ff6a09e60000000
  %v90 = fmul float %v88, 0x3fe0000000000000
  %v91 = select  i1 %v89, float %v90, float %v88
  %v92 = zext i1 %v89 to i32
  %v93 = add i32 %v85, %v92
  %v94 = fsub float %v91, 0x3ff0000000000000
  %v95 = fmul float %v94, %v94
  %v96 = fmul float %v95, 0x3fe0000000000000
  %v97 = fadd float %v94, 0x4000000000000000
  %v98 = fdiv float %v94, %v97
  %v99 = fmul float %v98, %v98
  %v100 = call float @g25(float 0x3fc745d180000000, float %v99, float 0x3fcc71c720000000)
  %v101 = call float @g25(float %v100, float %v99, float 0x3fd24924a0000000)
  %v102 = call float @g25(float %v101, float %v99, float 0x3fd99999a0000000)
  %v103 = call float @g25(float %v102, float %v99, float 0x3fe5555560000000)
  %v104 = fmul float %v103, %v99
  %v105 = sitofp i32 %v93 to float
  %v106 = fadd float %v96, %v104
  %v107 = fmul float %v105, 0x3eb7f7d1c0000000
  %v108 = call float @g25(float %v98, float %v106, float %v107)
  %v109 = fsub float %v96, %v108
  %v110 = fsub float %v94, %v109
  %v111 = call float @g25(float %v105, float 0x3fe62e4000000000, float %v110)
  %v112 = fcmp oeq float %v77, 0x7ff0000000000000
  %v113 = select  i1 %v112, float %v77, float %v111
  %v114 = fcmp oeq float %v77,              0x0
  %v115 = select  i1 %v114, float 0xfff0000000000000, float %v113
  %v116 = fcmp ult float %v77,              0x0
  %v117 = select  i1 %v116, float 0x7ff8000000000000, float %v115
  %v118 = getelementptr inbounds float, ptr %v5, i64 %v74
  store float %v117, ptr %v118, align 4
  %v75 = add nuw nsw i64 %v74, 1
  %v119 = icmp slt i64 %v75, 32
  br i1 %v119, label %v17, label %v120
v121:
  ret void
}

declare float @g24(float %v122)

declare float @g25(float %v122, float %v123, float %v124)

define void @g26(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2) noinline nounwind
{
v3:
  br label %v4
v5:
  br label %v6
v7:
  %v8 = phi  i64 [0, %v4], [%v9, %v10]
  br label %v11
v12:
  ret void
v13:
  %v14 = phi  i64 [0, %v6], [%v15, %v11]
  %v16 = mul i64 %v8, 10
  %v17 = add i64 %v16, %v14
  %v18 = getelementptr inbounds float, ptr %v0, i64 %v17
  %v19 = load float, ptr %v18, align 4
  %v20 = getelementptr inbounds float, ptr %v1, i64 %v8
  %v21 = load float, ptr %v20, align 4
  %v22 = fsub float %v19, %v21
  %v23 = mul i64 %v8, 10
  %v24 = add i64 %v23, %v14
  %v25 = getelementptr inbounds float, ptr %v2, i64 %v24
  store float %v22, ptr %v25, align 4
  %v15 = add nuw nsw i64 %v14, 1
  %v26 = icmp slt i64 %v15, 10
  br i1 %v26, label %v11, label %v10
v27:
  %v9 = add nuw nsw i64 %v8, 1
  %v28 = icmp slt i64 %v9, 32
  br i1 %v28, label %v6, label %v29, !llvm.loop !1
}

define void @g27(ptr noalias %v0, ptr noalias %v1) noinline nounwind
{
v2:
  br label %v3
v4:
  br label %v5
v6:
  %v7 = phi  i64 [0, %v3], [%v8, %v5]
  %v9 = getelementptr inbounds i64, ptr %v0, i64 %v7
  %v10 = load i64, ptr %v9, align 8
  %v11 = icmp eq i64 %v10, -100
  %v12 = getelementptr inbounds i64, ptr %v0, i64 %v7
  %v13 = load i64, ptr %v12, align 8
  %v14 = select  i1 %v11, i64 0, i64 %v13
  %v15 = getelementptr inbounds i64, ptr %v1, i64 %v7
  store i64 %v14, ptr %v15, align 8
  %v8 = add nuw nsw i64 %v7, 1
  %v16 = icmp slt i64 %v8, 32
  br i1 %v16, label %v5, label %v17
v18:
  ret void
}

define void @g28(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3) noinline nounwind
{
v4:
  br label %v5
v6:
  br label %v7
v8:
  %v9 = phi  i64 [0, %v5], [%v10, %v11]
  %v12 = getelementptr inbounds i64, ptr %v0, i64 %v9
  %v13 = load i64, ptr %v12, align 8
  %v14 = icmp sge i64 %v13, 0
  %v15 = icmp slt i64 %v13, 10
  %v16 = and i1 %v14, %v15
  br i1 %v16, label %v11, label %v17
v18:
  ret void
v19:
  %v20 = getelementptr inbounds i64, ptr %v1, i64 0
  store i64 1, ptr %v20
  %v21 = getelementptr inbounds i64, ptr %v0, i64 %v9
  %v22 = load i64, ptr %v21, align 8
  %v23 = getelementptr inbounds i64, ptr %v1, i64 1
  store i64 %v22, ptr %v23
  br label %v11
v24:
  %v25 = icmp sgt i64 %v13, 0
  %v26 = select  i1 %v25, i64 %v13, i64 0
  %v27 = icmp slt i64 %v26, 9
  %v28 = select  i1 %v27, i64 %v26, i64 9
  %v29 = mul i64 %v9, 10
  %v30 = add i64 %v29, %v28
  %v31 = getelementptr inbounds float, ptr %v2, i64 %v30
  %v32 = load float, ptr %v31, align 4
  %v33 = getelementptr inbounds float, ptr %v3, i64 %v9
  store float %v32, ptr %v33, align 4
  %v10 = add nuw nsw i64 %v9, 1
  %v34 = icmp slt i64 %v10, 32
  br i1 %v34, label %v7, label %v35
}

define void @g29(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, ptr noalias %v5, ptr noalias %v6) noinline nounwind
{
v7:
  %v8 = alloca float
  %v9 = alloca float
  br label %v10
v11:
  store float              0x0, float* %v8
  br label %v12
v13:
  %v14 = phi  i64 [0, %v10], [%v15, %v12]
  %v16 = getelementptr inbounds float, ptr %v0, i64 %v14
  %v17 = load float, ptr %v16, align 4
  %v18 = fneg float %v17
  %v19 = getelementptr inbounds i64, ptr %v1, i64 %v14
  %v20 = load i64, ptr %v19, align 8
  %v21 = icmp ne i64 %v20, -100
  %v22 = uitofp i1 %v21 to float
  %v23 = fmul float %v18, %v22
  %v24 = getelementptr inbounds float, ptr %v2, i64 %v14
  store float %v22, ptr %v24, align 4
  %v25 = load float, float* %v8
  %v26 = fadd reassoc float %v25, %v23
  store float %v26, float* %v8
  %v15 = add nuw nsw i64 %v14, 1
  %v27 = icmp slt i64 %v15, 32
  br i1 %v27, label %v12, label %v28
v29:
  %v30 = load float, float* %v8
  %v31 = getelementptr inbounds float, ptr %v3, i64 0
  store float %v30, ptr %v31, align 4
  store float              0x0, float* %v9
  br label %v32
v33:
  %v34 = phi  i64 [0, %v28], [%v35, %v32]
  %v36 = getelementptr inbounds float, ptr %v2, i64 %v34
  %v37 = load float, ptr %v36, align 4
  %v38 = load float, float* %v9
  %v39 = fadd reassoc float %v38, %v37
  store float %v39, float* %v9
  %v35 = add nuw nsw i64 %v34, 1
  %v40 = icmp slt i64 %v35, 32
  br i1 %v40, label %v32, label %v41
v42:
  %v43 = load float, float* %v9
  %v44 = getelementptr inbounds float, ptr %v4, i64 0
  store float %v43, ptr %v44, align 4
  %v45 = getelementptr inbounds float, ptr %v3, i64 0
  %v46 = load float, ptr %v45, align 4
  %v47 = getelementptr inbounds float, ptr %v4, i64 0
  %v48 = load float, ptr %v47, align 4
  %v49 = fdiv float %v46, %v48
  %v50 = getelementptr inbounds float, ptr %v5, i64 0
  store float %v49, ptr %v50, align 4
  %v51 = getelementptr inbounds float, ptr %v4, i64 0
  %v52 = load float, ptr %v51, align 4
  %v53 = fdiv float 0x3ff0000000000000, %v52
  %v54 = getelementptr inbounds float, ptr %v6, i64 0
  store float %v53, ptr %v54, align 4
  ret void
}

define void @g30(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2) noinline nounwind
{
v3:
  br label %v4
v5:
  br label %v6
v7:
  %v8 = phi  i64 [0, %v4], [%v9, %v6]
  %v10 = getelementptr inbounds float, ptr %v0, i64 0
  %v11 = load float, ptr %v10, align 4
  %v12 = getelementptr inbounds float, ptr %v1, i64 %v8
  %v13 = load float, ptr %v12, align 4
  %v14 = fmul float %v11, %v13
  %v15 = fneg float %v14
  %v16 = getelementptr inbounds float, ptr %v2, i64 %v8
  store float %v15, ptr %v16, align 4
  %v9 = add nuw nsw i64 %v8, 1
  %v17 = icmp slt i64 %v9, 32
  br i1 %v17, label %v6, label %v18
v19:
  ret void
}

define void @g31(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2) noinline nounwind
{
v3:
  br label %v4
v5:
  br label %v6
v7:
  %v8 = phi  i64 [0, %v4], [%v9, %v6]
  %v10 = getelementptr inbounds float, ptr %v0, i64 %v8
  store float              0x0, ptr %v10, align 4
  %v9 = add nuw nsw i64 %v8, 1
  %v11 = icmp slt i64 %v9, 320
  br i1 %v11, label %v6, label %v12, !llvm.loop !1
v13:
  br label %v14
v15:
  %v16 = phi  i64 [0, %v12], [%v17, %v14]
  %v18 = getelementptr inbounds i64, ptr %v1, i64 %v16
  %v19 = load i64, ptr %v18, align 8
  %v20 = icmp sgt i64 %v19, 0
  %v21 = select  i1 %v20, i64 %v19, i64 0
  %v22 = icmp slt i64 %v21, 9
  %v23 = select  i1 %v22, i64 %v21, i64 9
  %v24 = mul i64 %v16, 10
  %v25 = add i64 %v24, %v23
  %v26 = getelementptr inbounds float, ptr %v0, i64 %v25
  %v27 = load float, ptr %v26, align 4
  %v28 = getelementptr inbounds float, ptr %v2, i64 %v16
  %v29 = load float, ptr %v28, align 4
  %v30 = fadd float %v27, %v29
  %v31 = mul i64 %v16, 10
  %v32 = add i64 %v31, %v23
  %v33 = getelementptr inbounds float, ptr %v0, i64 %v32
  store float %v30, ptr %v33, align 4
  %v17 = add nuw nsw i64 %v16, 1
  %v34 = icmp slt i64 %v17, 32
  br i1 %v34, label %v14, label %v35
v36:
  ret void
}

define void @g32(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3) noinline nounwind
{
v4:
  %v5 = alloca float
  br label %v6
v7:
  br label %v8
v9:
  %v10 = phi  i64 [0, %v6], [%v11, %v12]
  store float              0x0, float* %v5
  br label %v13
v14:
  br label %v15
v16:
  %v17 = phi  i64 [0, %v8], [%v18, %v13]
  %v19 = mul i64 %v10, 10
  %v20 = add i64 %v19, %v17
  %v21 = getelementptr inbounds float, ptr %v0, i64 %v20
  %v22 = load float, ptr %v21, align 4
  %v23 = fneg float %v22
  %v24 = load float, float* %v5
  %v25 = fadd reassoc float %v24, %v23
  store float %v25, float* %v5
  %v18 = add nuw nsw i64 %v17, 1
  %v26 = icmp slt i64 %v18, 10
  br i1 %v26, label %v13, label %v12
v27:
  %v28 = load float, float* %v5
  %v29 = getelementptr inbounds float, ptr %v1, i64 %v10
  store float %v28, ptr %v29, align 4
  %v11 = add nuw nsw i64 %v10, 1
  %v30 = icmp slt i64 %v11, 32
  br i1 %v30, label %v8, label %v31, !llvm.loop !1
v32:
  %v33 = phi  i64 [0, %v31], [%v34, %v15]
  %v35 = getelementptr inbounds float, ptr %v1, i64 %v33
  %v36 = load float, ptr %v35, align 4
  %v37 = getelementptr inbounds float, ptr %v2, i64 %v33
  %v38 = load float, ptr %v37, align 4
  %v39 = fdiv float %v36, %v38
  %v40 = getelementptr inbounds float, ptr %v3, i64 %v33
  store float %v39, ptr %v40, align 4
  %v34 = add nuw nsw i64 %v33, 1
  %v41 = icmp slt i64 %v34, 32
  br i1 %v41, label %v15, label %v42
v43:
  ret void
}

define void @g33(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, ptr noalias %v5, ptr noalias %v6) noinline nounwind
{
v7:
  br label %v8
v9:
  br label %v10
v11:
  %v12 = phi  i64 [0, %v8], [%v13, %v10]
  %v14 = getelementptr inbounds float, ptr %v0, i64 %v12
  store float              0x0, ptr %v14, align 4
  %v13 = add nuw nsw i64 %v12, 1
  %v15 = icmp slt i64 %v13, 10
  br i1 %v15, label %v10, label %v16
v17:
  br label %v18
v19:
  %v20 = phi  i64 [0, %v16], [%v21, %v22]
  br label %v23
v24:
  br label %v25
v26:
  %v27 = phi  i64 [0, %v18], [%v28, %v23]
  %v29 = getelementptr inbounds float, ptr %v1, i64 %v20
  %v30 = load float, ptr %v29, align 4
  %v31 = mul i64 %v20, 10
  %v32 = add i64 %v31, %v27
  %v33 = getelementptr inbounds float, ptr %v2, i64 %v32
  %v34 = load float, ptr %v33, align 4
  %v35 = fmul float %v30, %v34
  %v36 = mul i64 %v20, 10
  %v37 = add i64 %v36, %v27
  %v38 = getelementptr inbounds float, ptr %v3, i64 %v37
  %v39 = load float, ptr %v38, align 4
  %v40 = fadd float %v39, %v35
  %v41 = mul i64 %v20, 10
  %v42 = add i64 %v41, %v27
  %v43 = getelementptr inbounds float, ptr %v4, i64 %v42
  store float %v40, ptr %v43, align 4
  %v44 = getelementptr inbounds float, ptr %v0, i64 %v27
  %v45 = load float, ptr %v44, align 4
  %v46 = fadd float %v45, %v40
  %v47 = getelementptr inbounds float, ptr %v0, i64 %v27
  store float %v46, ptr %v47, align 4
  %v28 = add nuw nsw i64 %v27, 1
  %v48 = icmp slt i64 %v28, 10
  br i1 %v48, label %v23, label %v22
v49:
  %v21 = add nuw nsw i64 %v20, 1
  %v50 = icmp slt i64 %v21, 32
  br i1 %v50, label %v18, label %v51, !llvm.loop !1
v52:
  %v53 = phi  i64 [0, %v51], [%v54, %v25]
  %v55 = getelementptr inbounds double, ptr %v5, i64 0
  %v56 = load double, ptr %v55, align 8
  %v57 = fneg double %v56
  %v58 = fptrunc double %v57 to float
  %v59 = getelementptr inbounds float, ptr %v0, i64 %v53
  %v60 = load float, ptr %v59, align 4
  %v61 = fmul float %v60, %v58
  %v62 = getelementptr inbounds float, ptr %v6, i64 %v53
  %v63 = load float, ptr %v62, align 4
  %v64 = fadd float %v63, %v61
  %v65 = getelementptr inbounds float, ptr %v6, i64 %v53
  store float %v64, ptr %v65, align 4
  %v54 = add nuw nsw i64 %v53, 1
  %v66 = icmp slt i64 %v54, 10
  br i1 %v66, label %v25, label %v67
v68:
  ret void
}

define void @g34(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3) noinline nounwind
{
v4:
  %v5 = alloca ptr, i32 4
  br label %v6
v7:
  %v8 = getelementptr inbounds float, ptr %v0, i64 0
  %v9 = getelementptr inbounds float, ptr %v1, i64 0
  %v10 = getelementptr inbounds float, ptr %v2, i64 0
  call void @g3(i64 32, i64 1568, i64 10, ptr %v8, i64 10, i64 1, ptr %v9, i64 1568, i64 1, ptr %v10, i64 1568, i32 0)
  %v11 = getelementptr inbounds ptr, ptr %v5, i64 0
  store ptr %v0, ptr %v11
  %v12 = getelementptr inbounds ptr, ptr %v5, i64 1
  store ptr %v1, ptr %v12
  %v13 = getelementptr inbounds ptr, ptr %v5, i64 2
  store ptr %v2, ptr %v13
  %v14 = getelementptr inbounds ptr, ptr %v5, i64 3
  store ptr %v3, ptr %v14
  call void @g1(void (ptr, i64, i64)* @g35, ptr %v5, i64 50176, i64 32768)
  ret void
}

define internal void @g36(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, i64 %v4, i64 %v5) nounwind
{
v6:
  br label %v7
v8:
  %v9 = icmp slt i64 %v4, %v5
  br i1 %v9, label %v10, label %v11
v12:
  %v13 = phi  i64 [%v4, %v7], [%v14, %v10]
  %v15 = getelementptr inbounds float, ptr %v2, i64 %v13
  %v16 = load float, ptr %v15, align 4
  %v17 = getelementptr inbounds float, ptr %v3, i64 %v13
  store float %v16, ptr %v17, align 4
  %v14 = add nuw nsw i64 %v13, 1
  %v18 = icmp slt i64 %v14, %v5
  br i1 %v18, label %v10, label %v11, !llvm.loop !1
v19:
  ret void
}

define internal void @g35(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v9 = load ptr, ptr %v8
  %v10 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v11 = load ptr, ptr %v10
  call void @g36(ptr %v5, ptr %v7, ptr %v9, ptr %v11, i64 %v1, i64 %v2)
  ret void
}

define void @g37(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2) noinline nounwind
{
v3:
  %v4 = alloca ptr, i32 3
  br label %v5
v6:
  %v7 = getelementptr inbounds ptr, ptr %v4, i64 0
  store ptr %v0, ptr %v7
  %v8 = getelementptr inbounds ptr, ptr %v4, i64 1
  store ptr %v1, ptr %v8
  %v9 = getelementptr inbounds ptr, ptr %v4, i64 2
  store ptr %v2, ptr %v9
  call void @g1(void (ptr, i64, i64)* @g38, ptr %v4, i64 7168, i64 313)
  ret void
}

define internal void @g39(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, i64 %v3, i64 %v4) nounwind
{
v5:
  br label %v6
v7:
  %v8 = icmp slt i64 %v3, %v4
  br i1 %v8, label %v9, label %v10
v11:
  %v12 = phi  i64 [%v3, %v6], [%v13, %v14]
  br label %v15
v16:
  ret void
v17:
  %v18 = phi  i64 [0, %v9], [%v19, %v15]
  %v20 = mul i64 %v12, 7
  %v21 = add i64 %v20, %v18
  %v22 = getelementptr inbounds float, ptr %v0, i64 %v21
  %v23 = load float, ptr %v22, align 4
  %v24 = mul i64 %v12, 28
  %v25 = mul i64 %v18, 2
  %v26 = add i64 %v24, %v25
  %v27 = getelementptr inbounds float, ptr %v1, i64 %v26
  %v28 = load float, ptr %v27, align 4
  %v29 = mul i64 %v12, 28
  %v30 = mul i64 %v18, 2
  %v31 = add i64 %v29, %v30
  %v32 = add i64 %v31, 1
  %v33 = getelementptr inbounds float, ptr %v1, i64 %v32
  %v34 = load float, ptr %v33, align 4
  %v35 = fcmp ogt float %v34, %v28
  %v36 = fcmp une float %v34, %v34
  %v37 = or i1 %v35, %v36
  %v38 = select  i1 %v37, float %v34, float %v28
  %v39 = select  i1 %v37, i64 1, i64 0
  %v40 = mul i64 %v12, 28
  %v41 = mul i64 %v18, 2
  %v42 = add i64 %v40, %v41
  %v43 = add i64 %v42, 14
  %v44 = getelementptr inbounds float, ptr %v1, i64 %v43
  %v45 = load float, ptr %v44, align 4
  %v46 = fcmp ogt float %v45, %v38
  %v47 = fcmp une float %v45, %v45
  %v48 = or i1 %v46, %v47
  %v49 = select  i1 %v48, float %v45, float %v38
  %v50 = select  i1 %v48, i64 2, i64 %v39
  %v51 = mul i64 %v12, 28
  %v52 = mul i64 %v18, 2
  %v53 = add i64 %v51, %v52
  %v54 = add i64 %v53, 15
  %v55 = getelementptr inbounds float, ptr %v1, i64 %v54
  %v56 = load float, ptr %v55, align 4
  %v57 = fcmp ogt float %v56, %v49
  %v58 = fcmp une float %v56, %v56
  %v59 = or i1 %v57, %v58
  %v60 = select  i1 %v59, float %v56, float %v49
  %v61 = select  i1 %v59, i64 3, i64 %v50
  %v62 = icmp eq i64 %v61, 0
  %v63 = select  i1 %v62, float %v23, float              0x0
  %v64 = mul i64 %v12, 28
  %v65 = mul i64 %v18, 2
  %v66 = add i64 %v64, %v65
  %v67 = getelementptr inbounds float, ptr %v1, i64 %v66
  %v68 = load float, ptr %v67, align 4
  %v69 = fcmp ogt float %v68,              0x0
  %v70 = select  i1 %v69, float %v63, float              0x0
  %v71 = mul i64 %v12, 28
  %v72 = mul i64 %v18, 2
  %v73 = add i64 %v71, %v72
  %v74 = getelementptr inbounds float, ptr %v2, i64 %v73
  store float %v70, ptr %v74, align 4
  %v75 = icmp eq i64 %v61, 1
  %v76 = select  i1 %v75, float %v23, float              0x0
  %v77 = mul i64 %v12, 28
  %v78 = mul i64 %v18, 2
  %v79 = add i64 %v77, %v78
  %v80 = add i64 %v79, 1
  %v81 = getelementptr inbounds float, ptr %v1, i64 %v80
  %v82 = load float, ptr %v81, align 4
  %v83 = fcmp ogt float %v82,              0x0
  %v84 = select  i1 %v83, float %v76, float              0x0
  %v85 = mul i64 %v12, 28
  %v86 = mul i64 %v18, 2
  %v87 = add i64 %v85, %v86
  %v88 = add i64 %v87, 1
  %v89 = getelementptr inbounds float, ptr %v2, i64 %v88
  store float %v84, ptr %v89, align 4
  %v90 = icmp eq i64 %v61, 2
  %v91 = select  i1 %v90, float %v23, float              0x0
  %v92 = mul i64 %v12, 28
  %v93 = mul i64 %v18, 2
  %v94 = add i64 %v92, %v93
  %v95 = add i64 %v94, 14
  %v96 = getelementptr inbounds float, ptr %v1, i64 %v95
  %v97 = load float, ptr %v96, align 4
  %v98 = fcmp ogt float %v97,              0x0
  %v99 = select  i1 %v98, float %v91, float              0x0
  %v100 = mul i64 %v12, 28
  %v101 = mul i64 %v18, 2
  %v102 = add i64 %v100, %v101
  %v103 = add i64 %v102, 14
  %v104 = getelementptr inbounds float, ptr %v2, i64 %v103
  store float %v99, ptr %v104, align 4
  %v105 = icmp eq i64 %v61, 3
  %v106 = select  i1 %v105, float %v23, float              0x0
  %v107 = mul i64 %v12, 28
  %v108 = mul i64 %v18, 2
  %v109 = add i64 %v107, %v108
  %v110 = add i64 %v109, 15
  %v111 = getelementptr inbounds float, ptr %v1, i64 %v110
  %v112 = load float, ptr %v111, align 4
  %v113 = fcmp ogt float %v112,              0x0
  %v114 = select  i1 %v113, float %v106, float              0x0
  %v115 = mul i64 %v12, 28
  %v116 = mul i64 %v18, 2
  %v117 = add i64 %v115, %v116
  %v118 = add i64 %v117, 15
  %v119 = getelementptr inbounds float, ptr %v2, i64 %v118
  store float %v114, ptr %v119, align 4
  %v19 = add nuw nsw i64 %v18, 1
  %v120 = icmp slt i64 %v19, 7
  br i1 %v120, label %v15, label %v14
v121:
  %v13 = add nuw nsw i64 %v12, 1
  %v122 = icmp slt i64 %v13, %v4
  br i1 %v122, label %v9, label %v10, !llvm.loop !1
}

define internal void @g38(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v9 = load ptr, ptr %v8
  call void @g39(ptr %v5, ptr %v7, ptr %v9, i64 %v1, i64 %v2)
  ret void
}

define void @g40(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3) noinline nounwind
{
v4:
  %v5 = alloca ptr, i32 4
  br label %v6
v7:
  %v8 = getelementptr inbounds ptr, ptr %v5, i64 0
  store ptr %v0, ptr %v8
  %v9 = getelementptr inbounds ptr, ptr %v5, i64 1
  store ptr %v1, ptr %v9
  %v10 = getelementptr inbounds ptr, ptr %v5, i64 2
  store ptr %v2, ptr %v10
  %v11 = getelementptr inbounds ptr, ptr %v5, i64 3
  store ptr %v3, ptr %v11
  call void @g1(void (ptr, i64, i64)* @g41, ptr %v5, i64 32, i64 11)
  br label %v12
v13:
  %v14 = phi  i64 [0, %v6], [%v15, %v12]
  %v16 = getelementptr inbounds double, ptr %v2, i64 0
  %v17 = load double, ptr %v16, align 8
  %v18 = fneg double %v17
  %v19 = fptrunc double %v18 to float
  %v20 = getelementptr inbounds float, ptr %v1, i64 %v14
  %v21 = load float, ptr %v20, align 4
  %v22 = fmul float %v21, %v19
  %v23 = getelementptr inbounds float, ptr %v3, i64 %v14
  %v24 = load float, ptr %v23, align 4
  %v25 = fadd float %v24, %v22
  %v26 = getelementptr inbounds float, ptr %v3, i64 %v14
  store float %v25, ptr %v26, align 4
  %v15 = add nuw nsw i64 %v14, 1
  %v27 = icmp slt i64 %v15, 32
  br i1 %v27, label %v12, label %v28
v29:
  ret void
}

define internal void @g42(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, i64 %v4, i64 %v5) nounwind
{
v6:
  %v7 = alloca float
  br label %v8
v9:
  %v10 = icmp slt i64 %v4, %v5
  br i1 %v10, label %v11, label %v12
v13:
  %v14 = phi  i64 [%v4, %v8], [%v15, %v16]
  store float              0x0, float* %v7
  br label %v17
v18:
  ret void
v19:
  %v20 = phi  i64 [0, %v11], [%v21, %v22]
  br label %v23
v24:
  %v25 = load float, float* %v7
  %v26 = getelementptr inbounds float, ptr %v1, i64 %v14
  store float %v25, ptr %v26, align 4
  %v15 = add nuw nsw i64 %v14, 1
  %v27 = icmp slt i64 %v15, %v5
  br i1 %v27, label %v11, label %v12, !llvm.loop !1
v28:
  %v29 = phi  i64 [0, %v17], [%v30, %v23]
  %v31 = mul i64 %v14, 196
  %v32 = mul i64 %v20, 6272
  %v33 = add i64 %v31, %v32
  %v34 = add i64 %v33, %v29
  %v35 = getelementptr inbounds float, ptr %v0, i64 %v34
  %v36 = load float, ptr %v35, align 4
  %v37 = load float, float* %v7
  %v38 = fadd reassoc float %v37, %v36
  store float %v38, float* %v7
  %v30 = add nuw nsw i64 %v29, 1
  %v39 = icmp slt i64 %v30, 196
  br i1 %v39, label %v23, label %v22, !llvm.loop !1
v40:
  %v21 = add nuw nsw i64 %v20, 1
  %v41 = icmp slt i64 %v21, 32
  br i1 %v41, label %v17, label %v16, !llvm.loop !1
}

define internal void @g41(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v9 = load ptr, ptr %v8
  %v10 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v11 = load ptr, ptr %v10
  call void @g42(ptr %v5, ptr %v7, ptr %v9, ptr %v11, i64 %v1, i64 %v2)
  ret void
}

define void @g43(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3) noinline nounwind
{
v4:
  %v5 = alloca ptr, i32 4
  %v6 = alloca ptr, i32 4
  %v7 = alloca ptr, i32 4
  %v8 = alloca ptr, i32 4
  %v9 = alloca ptr, i32 4
  br label %v10
v11:
  %v12 = getelementptr inbounds ptr, ptr %v5, i64 0
  store ptr %v0, ptr %v12
  %v13 = getelementptr inbounds ptr, ptr %v5, i64 1
  store ptr %v1, ptr %v13
  %v14 = getelementptr inbounds ptr, ptr %v5, i64 2
  store ptr %v2, ptr %v14
  %v15 = getelementptr inbounds ptr, ptr %v5, i64 3
  store ptr %v3, ptr %v15
  call void @g1(void (ptr, i64, i64)* @g44, ptr %v5, i64 100352, i64 65536)
  br label %v16
v17:
  %v18 = phi  i64 [0, %v10], [%v19, %v16]
  %v20 = mul i64 %v18, 0
  %v21 = add i64 0, %v20
  %v22 = mul i64 %v18, 6272
  %v23 = add i64 0, %v22
  %v24 = mul i64 %v18, 196
  %v25 = add i64 0, %v24
  %v26 = getelementptr inbounds float, ptr %v1, i64 %v21
  %v27 = getelementptr inbounds float, ptr %v2, i64 %v23
  %v28 = getelementptr inbounds float, ptr %v3, i64 %v25
  call void @g3(i64 144, i64 196, i64 32, ptr %v26, i64 1, i64 144, ptr %v27, i64 196, i64 1, ptr %v28, i64 1568, i32 0)
  %v19 = add nuw nsw i64 %v18, 1
  %v29 = icmp slt i64 %v19, 8
  br i1 %v29, label %v16, label %v30
v31:
  %v32 = getelementptr inbounds ptr, ptr %v6, i64 0
  store ptr %v0, ptr %v32
  %v33 = getelementptr inbounds ptr, ptr %v6, i64 1
  store ptr %v1, ptr %v33
  %v34 = getelementptr inbounds ptr, ptr %v6, i64 2
  store ptr %v2, ptr %v34
  %v35 = getelementptr inbounds ptr, ptr %v6, i64 3
  store ptr %v3, ptr %v35
  call void @g1(void (ptr, i64, i64)* @g45, ptr %v6, i64 8, i64 2)
  br label %v36
v37:
  %v38 = phi  i64 [0, %v30], [%v39, %v36]
  %v40 = mul i64 %v38, 0
  %v41 = add i64 0, %v40
  %v42 = mul i64 %v38, 6272
  %v43 = add i64 50176, %v42
  %v44 = mul i64 %v38, 196
  %v45 = add i64 0, %v44
  %v46 = getelementptr inbounds float, ptr %v1, i64 %v41
  %v47 = getelementptr inbounds float, ptr %v2, i64 %v43
  %v48 = getelementptr inbounds float, ptr %v3, i64 %v45
  call void @g3(i64 144, i64 196, i64 32, ptr %v46, i64 1, i64 144, ptr %v47, i64 196, i64 1, ptr %v48, i64 1568, i32 0)
  %v39 = add nuw nsw i64 %v38, 1
  %v49 = icmp slt i64 %v39, 8
  br i1 %v49, label %v36, label %v50
v51:
  %v52 = getelementptr float, ptr %v0, i64 25073
  %v53 = getelementptr inbounds ptr, ptr %v7, i64 0
  store ptr %v52, ptr %v53
  %v54 = getelementptr inbounds ptr, ptr %v7, i64 1
  store ptr %v1, ptr %v54
  %v55 = getelementptr inbounds ptr, ptr %v7, i64 2
  store ptr %v2, ptr %v55
  %v56 = getelementptr inbounds ptr, ptr %v7, i64 3
  store ptr %v3, ptr %v56
  call void @g1(void (ptr, i64, i64)* @g46, ptr %v7, i64 8, i64 2)
  br label %v57
v58:
  %v59 = phi  i64 [0, %v50], [%v60, %v57]
  %v61 = mul i64 %v59, 0
  %v62 = add i64 0, %v61
  %v63 = mul i64 %v59, 6272
  %v64 = add i64 100352, %v63
  %v65 = mul i64 %v59, 196
  %v66 = add i64 0, %v65
  %v67 = getelementptr inbounds float, ptr %v1, i64 %v62
  %v68 = getelementptr inbounds float, ptr %v2, i64 %v64
  %v69 = getelementptr inbounds float, ptr %v3, i64 %v66
  call void @g3(i64 144, i64 196, i64 32, ptr %v67, i64 1, i64 144, ptr %v68, i64 196, i64 1, ptr %v69, i64 1568, i32 0)
  %v60 = add nuw nsw i64 %v59, 1
  %v70 = icmp slt i64 %v60, 8
  br i1 %v70, label %v57, label %v71
v72:
  %v73 = getelementptr float, ptr %v0, i64 50161
  %v74 = getelementptr inbounds ptr, ptr %v8, i64 0
  store ptr %v73, ptr %v74
  %v75 = getelementptr inbounds ptr, ptr %v8, i64 1
  store ptr %v1, ptr %v75
  %v76 = getelementptr inbounds ptr, ptr %v8, i64 2
  store ptr %v2, ptr %v76
  %v77 = getelementptr inbounds ptr, ptr %v8, i64 3
  store ptr %v3, ptr %v77
  call void @g1(void (ptr, i64, i64)* @g46, ptr %v8, i64 8, i64 2)
  br label %v78
v79:
  %v80 = phi  i64 [0, %v71], [%v81, %v78]
  %v82 = mul i64 %v80, 0
  %v83 = add i64 0, %v82
  %v84 = mul i64 %v80, 6272
  %v85 = add i64 150528, %v84
  %v86 = mul i64 %v80, 196
  %v87 = add i64 0, %v86
  %v88 = getelementptr inbounds float, ptr %v1, i64 %v83
  %v89 = getelementptr inbounds float, ptr %v2, i64 %v85
  %v90 = getelementptr inbounds float, ptr %v3, i64 %v87
  call void @g3(i64 144, i64 196, i64 32, ptr %v88, i64 1, i64 144, ptr %v89, i64 196, i64 1, ptr %v90, i64 1568, i32 0)
  %v81 = add nuw nsw i64 %v80, 1
  %v91 = icmp slt i64 %v81, 8
  br i1 %v91, label %v78, label %v92
v93:
  %v94 = getelementptr float, ptr %v0, i64 75249
  %v95 = getelementptr inbounds ptr, ptr %v9, i64 0
  store ptr %v94, ptr %v95
  %v96 = getelementptr inbounds ptr, ptr %v9, i64 1
  store ptr %v1, ptr %v96
  %v97 = getelementptr inbounds ptr, ptr %v9, i64 2
  store ptr %v2, ptr %v97
  %v98 = getelementptr inbounds ptr, ptr %v9, i64 3
  store ptr %v3, ptr %v98
  call void @g1(void (ptr, i64, i64)* @g46, ptr %v9, i64 8, i64 2)
  ret void
}

define internal void @g47(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, i64 %v4, i64 %v5) nounwind
{
v6:
  br label %v7
v8:
  %v9 = icmp slt i64 %v4, %v5
  br i1 %v9, label %v10, label %v11
v12:
  %v13 = phi  i64 [%v4, %v7], [%v14, %v10]
  %v15 = getelementptr inbounds float, ptr %v0, i64 %v13
  store float              0x0, ptr %v15, align 4
  %v14 = add nuw nsw i64 %v13, 1
  %v16 = icmp slt i64 %v14, %v5
  br i1 %v16, label %v10, label %v11, !llvm.loop !1
v17:
  ret void
}

define internal void @g44(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v9 = load ptr, ptr %v8
  %v10 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v11 = load ptr, ptr %v10
  call void @g47(ptr %v5, ptr %v7, ptr %v9, ptr %v11, i64 %v1, i64 %v2)
  ret void
}

define internal void @g48(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, i64 %v4, i64 %v5) nounwind
{
v6:
  br label %v7
v8:
  %v9 = icmp slt i64 %v4, %v5
  br i1 %v9, label %v10, label %v11
v12:
  %v13 = phi  i64 [%v4, %v7], [%v14, %v15]
  br label %v16
v17:
  ret void
v18:
  %v19 = phi  i64 [0, %v10], [%v20, %v21]
  br label %v22
v23:
  %v14 = add nuw nsw i64 %v13, 1
  %v24 = icmp slt i64 %v14, %v5
  br i1 %v24, label %v10, label %v11, !llvm.loop !1
v25:
  %v26 = phi  i64 [0, %v16], [%v27, %v28]
  br label %v29
v30:
  %v20 = add nuw nsw i64 %v19, 1
  %v31 = icmp slt i64 %v20, 16
  br i1 %v31, label %v16, label %v15, !llvm.loop !1
v32:
  %v33 = phi  i64 [0, %v22], [%v34, %v35]
  br label %v36
v37:
  %v27 = add nuw nsw i64 %v26, 1
  %v38 = icmp slt i64 %v27, 3
  br i1 %v38, label %v22, label %v21
v39:
  %v40 = phi  i64 [0, %v29], [%v41, %v42]
  br label %v43
v44:
  %v34 = add nuw nsw i64 %v33, 1
  %v45 = icmp slt i64 %v34, 3
  br i1 %v45, label %v29, label %v28
v46:
  %v47 = phi  i64 [0, %v36], [%v48, %v49]
  %v50 = add i64 %v26, %v40
  %v51 = add i64 %v50, -1
  %v52 = icmp sge i64 %v51, 0
  %v53 = add i64 %v26, %v40
  %v54 = add i64 %v53, -1
  %v55 = icmp slt i64 %v54, 14
  %v56 = and i1 %v52, %v55
  %v57 = add i64 %v33, %v47
  %v58 = add i64 %v57, -1
  %v59 = icmp sge i64 %v58, 0
  %v60 = and i1 %v56, %v59
  %v61 = add i64 %v33, %v47
  %v62 = add i64 %v61, -1
  %v63 = icmp slt i64 %v62, 14
  %v64 = and i1 %v60, %v63
  br i1 %v64, label %v65, label %v49
v66:
  %v41 = add nuw nsw i64 %v40, 1
  %v67 = icmp slt i64 %v41, 14
  br i1 %v67, label %v36, label %v35, !llvm.loop !1
v68:
  %v69 = mul i64 %v13, 3136
  %v70 = mul i64 %v19, 196
  %v71 = add i64 %v69, %v70
  %v72 = mul i64 %v26, 14
  %v73 = add i64 %v71, %v72
  %v74 = add i64 %v73, %v33
  %v75 = mul i64 %v40, 14
  %v76 = add i64 %v74, %v75
  %v77 = add i64 %v76, %v47
  %v78 = add i64 %v77, -15
  %v79 = getelementptr inbounds float, ptr %v0, i64 %v78
  %v80 = load float, ptr %v79, align 4
  %v81 = mul i64 %v13, 196
  %v82 = mul i64 %v19, 14112
  %v83 = add i64 %v81, %v82
  %v84 = mul i64 %v26, 4704
  %v85 = add i64 %v83, %v84
  %v86 = mul i64 %v33, 1568
  %v87 = add i64 %v85, %v86
  %v88 = mul i64 %v40, 14
  %v89 = add i64 %v87, %v88
  %v90 = add i64 %v89, %v47
  %v91 = getelementptr inbounds float, ptr %v3, i64 %v90
  %v92 = load float, ptr %v91, align 4
  %v93 = fadd float %v80, %v92
  %v94 = getelementptr inbounds float, ptr %v0, i64 %v78
  store float %v93, ptr %v94, align 4
  br label %v49
v95:
  %v48 = add nuw nsw i64 %v47, 1
  %v96 = icmp slt i64 %v48, 14
  br i1 %v96, label %v43, label %v42
}

define internal void @g45(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v9 = load ptr, ptr %v8
  %v10 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v11 = load ptr, ptr %v10
  call void @g48(ptr %v5, ptr %v7, ptr %v9, ptr %v11, i64 %v1, i64 %v2)
  ret void
}

define internal void @g49(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, i64 %v4, i64 %v5) nounwind
{
v6:
  br label %v7
v8:
  %v9 = icmp slt i64 %v4, %v5
  br i1 %v9, label %v10, label %v11
v12:
  %v13 = phi  i64 [%v4, %v7], [%v14, %v15]
  br label %v16
v17:
  ret void
v18:
  %v19 = phi  i64 [0, %v10], [%v20, %v21]
  br label %v22
v23:
  %v14 = add nuw nsw i64 %v13, 1
  %v24 = icmp slt i64 %v14, %v5
  br i1 %v24, label %v10, label %v11, !llvm.loop !1
v25:
  %v26 = phi  i64 [0, %v16], [%v27, %v28]
  br label %v29
v30:
  %v20 = add nuw nsw i64 %v19, 1
  %v31 = icmp slt i64 %v20, 16
  br i1 %v31, label %v16, label %v15, !llvm.loop !1
v32:
  %v33 = phi  i64 [0, %v22], [%v34, %v35]
  br label %v36
v37:
  %v27 = add nuw nsw i64 %v26, 1
  %v38 = icmp slt i64 %v27, 3
  br i1 %v38, label %v22, label %v21
v39:
  %v40 = phi  i64 [0, %v29], [%v41, %v42]
  br label %v43
v44:
  %v34 = add nuw nsw i64 %v33, 1
  %v45 = icmp slt i64 %v34, 3
  br i1 %v45, label %v29, label %v28
v46:
  %v47 = phi  i64 [0, %v36], [%v48, %v49]
  %v50 = add i64 %v26, %v40
  %v51 = add i64 %v50, -1
  %v52 = icmp sge i64 %v51, 0
  %v53 = add i64 %v26, %v40
  %v54 = add i64 %v53, -1
  %v55 = icmp slt i64 %v54, 14
  %v56 = and i1 %v52, %v55
  %v57 = add i64 %v33, %v47
  %v58 = add i64 %v57, -1
  %v59 = icmp sge i64 %v58, 0
  %v60 = and i1 %v56, %v59
  %v61 = add i64 %v33, %v47
  %v62 = add i64 %v61, -1
  %v63 = icmp slt i64 %v62, 14
  %v64 = and i1 %v60, %v63
  br i1 %v64, label %v65, label %v49
v66:
  %v41 = add nuw nsw i64 %v40, 1
  %v67 = icmp slt i64 %v41, 14
  br i1 %v67, label %v36, label %v35, !llvm.loop !1
v68:
  %v69 = mul i64 %v13, 3136
  %v70 = mul i64 %v19, 196
  %v71 = add i64 %v69, %v70
  %v72 = mul i64 %v26, 14
  %v73 = add i64 %v71, %v72
  %v74 = add i64 %v73, %v33
  %v75 = mul i64 %v40, 14
  %v76 = add i64 %v74, %v75
  %v77 = add i64 %v76, %v47
  %v78 = getelementptr inbounds float, ptr %v0, i64 %v77
  %v79 = load float, ptr %v78, align 4
  %v80 = mul i64 %v13, 196
  %v81 = mul i64 %v19, 14112
  %v82 = add i64 %v80, %v81
  %v83 = mul i64 %v26, 4704
  %v84 = add i64 %v82, %v83
  %v85 = mul i64 %v33, 1568
  %v86 = add i64 %v84, %v85
  %v87 = mul i64 %v40, 14
  %v88 = add i64 %v86, %v87
  %v89 = add i64 %v88, %v47
  %v90 = getelementptr inbounds float, ptr %v3, i64 %v89
  %v91 = load float, ptr %v90, align 4
  %v92 = fadd float %v79, %v91
  %v93 = getelementptr inbounds float, ptr %v0, i64 %v77
  store float %v92, ptr %v93, align 4
  br label %v49
v94:
  %v48 = add nuw nsw i64 %v47, 1
  %v95 = icmp slt i64 %v48, 14
  br i1 %v95, label %v43, label %v42
}

define internal void @g46(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v9 = load ptr, ptr %v8
  %v10 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v11 = load ptr, ptr %v10
  call void @g49(ptr %v5, ptr %v7, ptr %v9, ptr %v11, i64 %v1, i64 %v2)
  ret void
}

define void @g50(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, ptr noalias %v5) noinline nounwind
{
v6:
  %v7 = alloca ptr, i32 6
  %v8 = alloca ptr, i32 6
  %v9 = alloca ptr, i32 6
  %v10 = alloca ptr, i32 6
  br label %v11
v12:
  br label %v13
v14:
  %v15 = phi  i64 [0, %v11], [%v16, %v13]
  %v17 = getelementptr inbounds float, ptr %v0, i64 %v15
  store float              0x0, ptr %v17, align 4
  %v16 = add nuw nsw i64 %v15, 1
  %v18 = icmp slt i64 %v16, 4608
  br i1 %v18, label %v13, label %v19, !llvm.loop !1
v20:
  %v21 = getelementptr inbounds ptr, ptr %v7, i64 0
  store ptr %v0, ptr %v21
  %v22 = getelementptr inbounds ptr, ptr %v7, i64 1
  store ptr %v1, ptr %v22
  %v23 = getelementptr inbounds ptr, ptr %v7, i64 2
  store ptr %v2, ptr %v23
  %v24 = getelementptr inbounds ptr, ptr %v7, i64 3
  store ptr %v3, ptr %v24
  %v25 = getelementptr inbounds ptr, ptr %v7, i64 4
  store ptr %v4, ptr %v25
  %v26 = getelementptr inbounds ptr, ptr %v7, i64 5
  store ptr %v5, ptr %v26
  call void @g1(void (ptr, i64, i64)* @g51, ptr %v7, i64 16, i64 5)
  br label %v27
v28:
  %v29 = phi  i64 [0, %v19], [%v30, %v27]
  %v31 = mul i64 %v29, 6272
  %v32 = add i64 0, %v31
  %v33 = mul i64 %v29, 196
  %v34 = add i64 0, %v33
  %v35 = mul i64 %v29, 0
  %v36 = add i64 0, %v35
  %v37 = getelementptr inbounds float, ptr %v3, i64 %v32
  %v38 = getelementptr inbounds float, ptr %v1, i64 %v34
  %v39 = getelementptr inbounds float, ptr %v0, i64 %v36
  call void @g3(i64 32, i64 144, i64 196, ptr %v37, i64 196, i64 1, ptr %v38, i64 1, i64 1568, ptr %v39, i64 144, i32 1)
  %v30 = add nuw nsw i64 %v29, 1
  %v40 = icmp slt i64 %v30, 8
  br i1 %v40, label %v27, label %v41
v42:
  %v43 = getelementptr inbounds ptr, ptr %v8, i64 0
  store ptr %v0, ptr %v43
  %v44 = getelementptr inbounds ptr, ptr %v8, i64 1
  store ptr %v1, ptr %v44
  %v45 = getelementptr float, ptr %v2, i64 25088
  %v46 = getelementptr inbounds ptr, ptr %v8, i64 2
  store ptr %v45, ptr %v46
  %v47 = getelementptr inbounds ptr, ptr %v8, i64 3
  store ptr %v3, ptr %v47
  %v48 = getelementptr inbounds ptr, ptr %v8, i64 4
  store ptr %v4, ptr %v48
  %v49 = getelementptr inbounds ptr, ptr %v8, i64 5
  store ptr %v5, ptr %v49
  call void @g1(void (ptr, i64, i64)* @g51, ptr %v8, i64 16, i64 5)
  br label %v50
v51:
  %v52 = phi  i64 [0, %v41], [%v53, %v50]
  %v54 = mul i64 %v52, 6272
  %v55 = add i64 50176, %v54
  %v56 = mul i64 %v52, 196
  %v57 = add i64 0, %v56
  %v58 = mul i64 %v52, 0
  %v59 = add i64 0, %v58
  %v60 = getelementptr inbounds float, ptr %v3, i64 %v55
  %v61 = getelementptr inbounds float, ptr %v1, i64 %v57
  %v62 = getelementptr inbounds float, ptr %v0, i64 %v59
  call void @g3(i64 32, i64 144, i64 196, ptr %v60, i64 196, i64 1, ptr %v61, i64 1, i64 1568, ptr %v62, i64 144, i32 1)
  %v53 = add nuw nsw i64 %v52, 1
  %v63 = icmp slt i64 %v53, 8
  br i1 %v63, label %v50, label %v64
v65:
  %v66 = getelementptr inbounds ptr, ptr %v9, i64 0
  store ptr %v0, ptr %v66
  %v67 = getelementptr inbounds ptr, ptr %v9, i64 1
  store ptr %v1, ptr %v67
  %v68 = getelementptr float, ptr %v2, i64 50176
  %v69 = getelementptr inbounds ptr, ptr %v9, i64 2
  store ptr %v68, ptr %v69
  %v70 = getelementptr inbounds ptr, ptr %v9, i64 3
  store ptr %v3, ptr %v70
  %v71 = getelementptr inbounds ptr, ptr %v9, i64 4
  store ptr %v4, ptr %v71
  %v72 = getelementptr inbounds ptr, ptr %v9, i64 5
  store ptr %v5, ptr %v72
  call void @g1(void (ptr, i64, i64)* @g51, ptr %v9, i64 16, i64 5)
  br label %v73
v74:
  %v75 = phi  i64 [0, %v64], [%v76, %v73]
  %v77 = mul i64 %v75, 6272
  %v78 = add i64 100352, %v77
  %v79 = mul i64 %v75, 196
  %v80 = add i64 0, %v79
  %v81 = mul i64 %v75, 0
  %v82 = add i64 0, %v81
  %v83 = getelementptr inbounds float, ptr %v3, i64 %v78
  %v84 = getelementptr inbounds float, ptr %v1, i64 %v80
  %v85 = getelementptr inbounds float, ptr %v0, i64 %v82
  call void @g3(i64 32, i64 144, i64 196, ptr %v83, i64 196, i64 1, ptr %v84, i64 1, i64 1568, ptr %v85, i64 144, i32 1)
  %v76 = add nuw nsw i64 %v75, 1
  %v86 = icmp slt i64 %v76, 8
  br i1 %v86, label %v73, label %v87
v88:
  %v89 = getelementptr inbounds ptr, ptr %v10, i64 0
  store ptr %v0, ptr %v89
  %v90 = getelementptr inbounds ptr, ptr %v10, i64 1
  store ptr %v1, ptr %v90
  %v91 = getelementptr float, ptr %v2, i64 75264
  %v92 = getelementptr inbounds ptr, ptr %v10, i64 2
  store ptr %v91, ptr %v92
  %v93 = getelementptr inbounds ptr, ptr %v10, i64 3
  store ptr %v3, ptr %v93
  %v94 = getelementptr inbounds ptr, ptr %v10, i64 4
  store ptr %v4, ptr %v94
  %v95 = getelementptr inbounds ptr, ptr %v10, i64 5
  store ptr %v5, ptr %v95
  call void @g1(void (ptr, i64, i64)* @g51, ptr %v10, i64 16, i64 5)
  br label %v96
v97:
  %v98 = phi  i64 [0, %v87], [%v99, %v96]
  %v100 = mul i64 %v98, 6272
  %v101 = add i64 150528, %v100
  %v102 = mul i64 %v98, 196
  %v103 = add i64 0, %v102
  %v104 = mul i64 %v98, 0
  %v105 = add i64 0, %v104
  %v106 = getelementptr inbounds float, ptr %v3, i64 %v101
  %v107 = getelementptr inbounds float, ptr %v1, i64 %v103
  %v108 = getelementptr inbounds float, ptr %v0, i64 %v105
  call void @g3(i64 32, i64 144, i64 196, ptr %v106, i64 196, i64 1, ptr %v107, i64 1, i64 1568, ptr %v108, i64 144, i32 1)
  %v99 = add nuw nsw i64 %v98, 1
  %v109 = icmp slt i64 %v99, 8
  br i1 %v109, label %v96, label %v110
v111:
  br label %v112
v113:
  %v114 = phi  i64 [0, %v110], [%v115, %v112]
  %v116 = getelementptr inbounds double, ptr %v4, i64 0
  %v117 = load double, ptr %v116, align 8
  %v118 = fneg double %v117
  %v119 = fptrunc double %v118 to float
  %v120 = getelementptr inbounds float, ptr %v0, i64 %v114
  %v121 = load float, ptr %v120, align 4
  %v122 = fmul float %v121, %v119
  %v123 = getelementptr inbounds float, ptr %v5, i64 %v114
  %v124 = load float, ptr %v123, align 4
  %v125 = fadd float %v124, %v122
  %v126 = getelementptr inbounds float, ptr %v5, i64 %v114
  store float %v125, ptr %v126, align 4
  %v115 = add nuw nsw i64 %v114, 1
  %v127 = icmp slt i64 %v115, 4608
  br i1 %v127, label %v112, label %v128, !llvm.loop !1
v129:
  ret void
}

define internal void @g52(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, ptr noalias %v5, i64 %v6, i64 %v7) nounwind
{
v8:
  br label %v9
v10:
  %v11 = icmp slt i64 %v6, %v7
  br i1 %v11, label %v12, label %v13
v14:
  %v15 = phi  i64 [%v6, %v9], [%v16, %v17]
  br label %v18
v19:
  ret void
v20:
  %v21 = phi  i64 [0, %v12], [%v22, %v23]
  br label %v24
v25:
  %v16 = add nuw nsw i64 %v15, 1
  %v26 = icmp slt i64 %v16, %v7
  br i1 %v26, label %v12, label %v13, !llvm.loop !1
v27:
  %v28 = phi  i64 [0, %v18], [%v29, %v30]
  br label %v31
v32:
  %v22 = add nuw nsw i64 %v21, 1
  %v33 = icmp slt i64 %v22, 3
  br i1 %v33, label %v18, label %v17
v34:
  %v35 = phi  i64 [0, %v24], [%v36, %v37]
  br label %v38
v39:
  %v29 = add nuw nsw i64 %v28, 1
  %v40 = icmp slt i64 %v29, 3
  br i1 %v40, label %v24, label %v23
v41:
  %v42 = phi  i64 [0, %v31], [%v43, %v44]
  br label %v45
v46:
  %v36 = add nuw nsw i64 %v35, 1
  %v47 = icmp slt i64 %v36, 8
  br i1 %v47, label %v31, label %v30, !llvm.loop !1
v48:
  %v49 = phi  i64 [0, %v38], [%v50, %v45]
  %v51 = add i64 %v21, %v42
  %v52 = add i64 %v51, -1
  %v53 = icmp sge i64 %v52, 0
  %v54 = add i64 %v21, %v42
  %v55 = add i64 %v54, -1
  %v56 = icmp slt i64 %v55, 14
  %v57 = and i1 %v53, %v56
  %v58 = add i64 %v28, %v49
  %v59 = add i64 %v58, -1
  %v60 = icmp sge i64 %v59, 0
  %v61 = and i1 %v57, %v60
  %v62 = add i64 %v28, %v49
  %v63 = add i64 %v62, -1
  %v64 = icmp slt i64 %v63, 14
  %v65 = and i1 %v61, %v64
  %v66 = mul i64 %v15, 196
  %v67 = mul i64 %v35, 3136
  %v68 = add i64 %v66, %v67
  %v69 = add i64 %v21, %v42
  %v70 = add i64 %v69, -1
  %v71 = icmp sgt i64 %v70, 0
  %v72 = select  i1 %v71, i64 %v70, i64 0
  %v73 = icmp slt i64 %v72, 13
  %v74 = select  i1 %v73, i64 %v72, i64 13
  %v75 = mul i64 %v74, 14
  %v76 = add i64 %v68, %v75
  %v77 = add i64 %v28, %v49
  %v78 = add i64 %v77, -1
  %v79 = icmp sgt i64 %v78, 0
  %v80 = select  i1 %v79, i64 %v78, i64 0
  %v81 = icmp slt i64 %v80, 13
  %v82 = select  i1 %v81, i64 %v80, i64 13
  %v83 = add i64 %v76, %v82
  %v84 = getelementptr inbounds float, ptr %v2, i64 %v83
  %v85 = load float, ptr %v84, align 4
  %v86 = select  i1 %v65, float %v85, float              0x0
  %v87 = mul i64 %v15, 14112
  %v88 = mul i64 %v21, 4704
  %v89 = add i64 %v87, %v88
  %v90 = mul i64 %v28, 1568
  %v91 = add i64 %v89, %v90
  %v92 = mul i64 %v35, 196
  %v93 = add i64 %v91, %v92
  %v94 = mul i64 %v42, 14
  %v95 = add i64 %v93, %v94
  %v96 = add i64 %v95, %v49
  %v97 = getelementptr inbounds float, ptr %v1, i64 %v96
  store float %v86, ptr %v97, align 4
  %v50 = add nuw nsw i64 %v49, 1
  %v98 = icmp slt i64 %v50, 14
  br i1 %v98, label %v45, label %v44
v99:
  %v43 = add nuw nsw i64 %v42, 1
  %v100 = icmp slt i64 %v43, 14
  br i1 %v100, label %v38, label %v37, !llvm.loop !1
}

define internal void @g51(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v9 = load ptr, ptr %v8
  %v10 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v11 = load ptr, ptr %v10
  %v12 = getelementptr inbounds ptr, ptr %v0, i64 4
  %v13 = load ptr, ptr %v12
  %v14 = getelementptr inbounds ptr, ptr %v0, i64 5
  %v15 = load ptr, ptr %v14
  call void @g52(ptr %v5, ptr %v7, ptr %v9, ptr %v11, ptr %v13, ptr %v15, i64 %v1, i64 %v2)
  ret void
}

define void @g53(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2) noinline nounwind
{
v3:
  %v4 = alloca ptr, i32 3
  br label %v5
v6:
  %v7 = getelementptr inbounds ptr, ptr %v4, i64 0
  store ptr %v0, ptr %v7
  %v8 = getelementptr inbounds ptr, ptr %v4, i64 1
  store ptr %v1, ptr %v8
  %v9 = getelementptr inbounds ptr, ptr %v4, i64 2
  store ptr %v2, ptr %v9
  call void @g1(void (ptr, i64, i64)* @g54, ptr %v4, i64 7168, i64 157)
  ret void
}

define internal void @g55(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, i64 %v3, i64 %v4) nounwind
{
v5:
  br label %v6
v7:
  %v8 = icmp slt i64 %v3, %v4
  br i1 %v8, label %v9, label %v10
v11:
  %v12 = phi  i64 [%v3, %v6], [%v13, %v14]
  br label %v15
v16:
  ret void
v17:
  %v18 = phi  i64 [0, %v9], [%v19, %v15]
  %v20 = mul i64 %v12, 14
  %v21 = add i64 %v20, %v18
  %v22 = getelementptr inbounds float, ptr %v0, i64 %v21
  %v23 = load float, ptr %v22, align 4
  %v24 = mul i64 %v12, 56
  %v25 = mul i64 %v18, 2
  %v26 = add i64 %v24, %v25
  %v27 = getelementptr inbounds float, ptr %v1, i64 %v26
  %v28 = load float, ptr %v27, align 4
  %v29 = mul i64 %v12, 56
  %v30 = mul i64 %v18, 2
  %v31 = add i64 %v29, %v30
  %v32 = add i64 %v31, 1
  %v33 = getelementptr inbounds float, ptr %v1, i64 %v32
  %v34 = load float, ptr %v33, align 4
  %v35 = fcmp ogt float %v34, %v28
  %v36 = fcmp une float %v34, %v34
  %v37 = or i1 %v35, %v36
  %v38 = select  i1 %v37, float %v34, float %v28
  %v39 = select  i1 %v37, i64 1, i64 0
  %v40 = mul i64 %v12, 56
  %v41 = mul i64 %v18, 2
  %v42 = add i64 %v40, %v41
  %v43 = add i64 %v42, 28
  %v44 = getelementptr inbounds float, ptr %v1, i64 %v43
  %v45 = load float, ptr %v44, align 4
  %v46 = fcmp ogt float %v45, %v38
  %v47 = fcmp une float %v45, %v45
  %v48 = or i1 %v46, %v47
  %v49 = select  i1 %v48, float %v45, float %v38
  %v50 = select  i1 %v48, i64 2, i64 %v39
  %v51 = mul i64 %v12, 56
  %v52 = mul i64 %v18, 2
  %v53 = add i64 %v51, %v52
  %v54 = add i64 %v53, 29
  %v55 = getelementptr inbounds float, ptr %v1, i64 %v54
  %v56 = load float, ptr %v55, align 4
  %v57 = fcmp ogt float %v56, %v49
  %v58 = fcmp une float %v56, %v56
  %v59 = or i1 %v57, %v58
  %v60 = select  i1 %v59, float %v56, float %v49
  %v61 = select  i1 %v59, i64 3, i64 %v50
  %v62 = icmp eq i64 %v61, 0
  %v63 = select  i1 %v62, float %v23, float              0x0
  %v64 = mul i64 %v12, 56
  %v65 = mul i64 %v18, 2
  %v66 = add i64 %v64, %v65
  %v67 = getelementptr inbounds float, ptr %v1, i64 %v66
  %v68 = load float, ptr %v67, align 4
  %v69 = fcmp ogt float %v68,              0x0
  %v70 = select  i1 %v69, float %v63, float              0x0
  %v71 = mul i64 %v12, 56
  %v72 = mul i64 %v18, 2
  %v73 = add i64 %v71, %v72
  %v74 = getelementptr inbounds float, ptr %v2, i64 %v73
  store float %v70, ptr %v74, align 4
  %v75 = icmp eq i64 %v61, 1
  %v76 = select  i1 %v75, float %v23, float              0x0
  %v77 = mul i64 %v12, 56
  %v78 = mul i64 %v18, 2
  %v79 = add i64 %v77, %v78
  %v80 = add i64 %v79, 1
  %v81 = getelementptr inbounds float, ptr %v1, i64 %v80
  %v82 = load float, ptr %v81, align 4
  %v83 = fcmp ogt float %v82,              0x0
  %v84 = select  i1 %v83, float %v76, float              0x0
  %v85 = mul i64 %v12, 56
  %v86 = mul i64 %v18, 2
  %v87 = add i64 %v85, %v86
  %v88 = add i64 %v87, 1
  %v89 = getelementptr inbounds float, ptr %v2, i64 %v88
  store float %v84, ptr %v89, align 4
  %v90 = icmp eq i64 %v61, 2
  %v91 = select  i1 %v90, float %v23, float              0x0
  %v92 = mul i64 %v12, 56
  %v93 = mul i64 %v18, 2
  %v94 = add i64 %v92, %v93
  %v95 = add i64 %v94, 28
  %v96 = getelementptr inbounds float, ptr %v1, i64 %v95
  %v97 = load float, ptr %v96, align 4
  %v98 = fcmp ogt float %v97,              0x0
  %v99 = select  i1 %v98, float %v91, float              0x0
  %v100 = mul i64 %v12, 56
  %v101 = mul i64 %v18, 2
  %v102 = add i64 %v100, %v101
  %v103 = add i64 %v102, 28
  %v104 = getelementptr inbounds float, ptr %v2, i64 %v103
  store float %v99, ptr %v104, align 4
  %v105 = icmp eq i64 %v61, 3
  %v106 = select  i1 %v105, float %v23, float              0x0
  %v107 = mul i64 %v12, 56
  %v108 = mul i64 %v18, 2
  %v109 = add i64 %v107, %v108
  %v110 = add i64 %v109, 29
  %v111 = getelementptr inbounds float, ptr %v1, i64 %v110
  %v112 = load float, ptr %v111, align 4
  %v113 = fcmp ogt float %v112,              0x0
  %v114 = select  i1 %v113, float %v106, float              0x0
  %v115 = mul i64 %v12, 56
  %v116 = mul i64 %v18, 2
  %v117 = add i64 %v115, %v116
  %v118 = add i64 %v117, 29
  %v119 = getelementptr inbounds float, ptr %v2, i64 %v118
  store float %v114, ptr %v119, align 4
  %v19 = add nuw nsw i64 %v18, 1
  %v120 = icmp slt i64 %v19, 14
  br i1 %v120, label %v15, label %v14
v121:
  %v13 = add nuw nsw i64 %v12, 1
  %v122 = icmp slt i64 %v13, %v4
  br i1 %v122, label %v9, label %v10, !llvm.loop !1
}

define internal void @g54(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v9 = load ptr, ptr %v8
  call void @g55(ptr %v5, ptr %v7, ptr %v9, i64 %v1, i64 %v2)
  ret void
}

define void @g56(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3) noinline nounwind
{
v4:
  %v5 = alloca ptr, i32 4
  br label %v6
v7:
  %v8 = getelementptr inbounds ptr, ptr %v5, i64 0
  store ptr %v0, ptr %v8
  %v9 = getelementptr inbounds ptr, ptr %v5, i64 1
  store ptr %v1, ptr %v9
  %v10 = getelementptr inbounds ptr, ptr %v5, i64 2
  store ptr %v2, ptr %v10
  %v11 = getelementptr inbounds ptr, ptr %v5, i64 3
  store ptr %v3, ptr %v11
  call void @g1(void (ptr, i64, i64)* @g57, ptr %v5, i64 16, i64 3)
  br label %v12
v13:
  %v14 = phi  i64 [0, %v6], [%v15, %v12]
  %v16 = getelementptr inbounds double, ptr %v2, i64 0
  %v17 = load double, ptr %v16, align 8
  %v18 = fneg double %v17
  %v19 = fptrunc double %v18 to float
  %v20 = getelementptr inbounds float, ptr %v1, i64 %v14
  %v21 = load float, ptr %v20, align 4
  %v22 = fmul float %v21, %v19
  %v23 = getelementptr inbounds float, ptr %v3, i64 %v14
  %v24 = load float, ptr %v23, align 4
  %v25 = fadd float %v24, %v22
  %v26 = getelementptr inbounds float, ptr %v3, i64 %v14
  store float %v25, ptr %v26, align 4
  %v15 = add nuw nsw i64 %v14, 1
  %v27 = icmp slt i64 %v15, 16
  br i1 %v27, label %v12, label %v28
v29:
  ret void
}

define internal void @g58(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, i64 %v4, i64 %v5) nounwind
{
v6:
  %v7 = alloca float
  br label %v8
v9:
  %v10 = icmp slt i64 %v4, %v5
  br i1 %v10, label %v11, label %v12
v13:
  %v14 = phi  i64 [%v4, %v8], [%v15, %v16]
  store float              0x0, float* %v7
  br label %v17
v18:
  ret void
v19:
  %v20 = phi  i64 [0, %v11], [%v21, %v22]
  br label %v23
v24:
  %v25 = load float, float* %v7
  %v26 = getelementptr inbounds float, ptr %v1, i64 %v14
  store float %v25, ptr %v26, align 4
  %v15 = add nuw nsw i64 %v14, 1
  %v27 = icmp slt i64 %v15, %v5
  br i1 %v27, label %v11, label %v12, !llvm.loop !1
v28:
  %v29 = phi  i64 [0, %v17], [%v30, %v23]
  %v31 = mul i64 %v14, 784
  %v32 = mul i64 %v20, 12544
  %v33 = add i64 %v31, %v32
  %v34 = add i64 %v33, %v29
  %v35 = getelementptr inbounds float, ptr %v0, i64 %v34
  %v36 = load float, ptr %v35, align 4
  %v37 = load float, float* %v7
  %v38 = fadd reassoc float %v37, %v36
  store float %v38, float* %v7
  %v30 = add nuw nsw i64 %v29, 1
  %v39 = icmp slt i64 %v30, 784
  br i1 %v39, label %v23, label %v22, !llvm.loop !1
v40:
  %v21 = add nuw nsw i64 %v20, 1
  %v41 = icmp slt i64 %v21, 32
  br i1 %v41, label %v17, label %v16, !llvm.loop !1
}

define internal void @g57(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v9 = load ptr, ptr %v8
  %v10 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v11 = load ptr, ptr %v10
  call void @g58(ptr %v5, ptr %v7, ptr %v9, ptr %v11, i64 %v1, i64 %v2)
  ret void
}

define void @g59(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, ptr noalias %v5) noinline nounwind
{
v6:
  %v7 = alloca ptr, i32 6
  br label %v8
v9:
  br label %v10
v11:
  %v12 = phi  i64 [0, %v8], [%v13, %v10]
  %v14 = getelementptr inbounds float, ptr %v0, i64 %v12
  store float              0x0, ptr %v14, align 4
  %v13 = add nuw nsw i64 %v12, 1
  %v15 = icmp slt i64 %v13, 144
  br i1 %v15, label %v10, label %v16, !llvm.loop !1
v17:
  %v18 = getelementptr inbounds ptr, ptr %v7, i64 0
  store ptr %v0, ptr %v18
  %v19 = getelementptr inbounds ptr, ptr %v7, i64 1
  store ptr %v1, ptr %v19
  %v20 = getelementptr inbounds ptr, ptr %v7, i64 2
  store ptr %v2, ptr %v20
  %v21 = getelementptr inbounds ptr, ptr %v7, i64 3
  store ptr %v3, ptr %v21
  %v22 = getelementptr inbounds ptr, ptr %v7, i64 4
  store ptr %v4, ptr %v22
  %v23 = getelementptr inbounds ptr, ptr %v7, i64 5
  store ptr %v5, ptr %v23
  call void @g1(void (ptr, i64, i64)* @g60, ptr %v7, i64 3, i64 1)
  br label %v24
v25:
  %v26 = phi  i64 [0, %v16], [%v27, %v24]
  %v28 = mul i64 %v26, 12544
  %v29 = add i64 0, %v28
  %v30 = mul i64 %v26, 784
  %v31 = add i64 0, %v30
  %v32 = mul i64 %v26, 0
  %v33 = add i64 0, %v32
  %v34 = getelementptr inbounds float, ptr %v3, i64 %v29
  %v35 = getelementptr inbounds float, ptr %v1, i64 %v31
  %v36 = getelementptr inbounds float, ptr %v0, i64 %v33
  call void @g3(i64 16, i64 9, i64 784, ptr %v34, i64 784, i64 1, ptr %v35, i64 1, i64 25088, ptr %v36, i64 9, i32 1)
  %v27 = add nuw nsw i64 %v26, 1
  %v37 = icmp slt i64 %v27, 32
  br i1 %v37, label %v24, label %v38
v39:
  br label %v40
v41:
  %v42 = phi  i64 [0, %v38], [%v43, %v40]
  %v44 = getelementptr inbounds double, ptr %v4, i64 0
  %v45 = load double, ptr %v44, align 8
  %v46 = fneg double %v45
  %v47 = fptrunc double %v46 to float
  %v48 = getelementptr inbounds float, ptr %v0, i64 %v42
  %v49 = load float, ptr %v48, align 4
  %v50 = fmul float %v49, %v47
  %v51 = getelementptr inbounds float, ptr %v5, i64 %v42
  %v52 = load float, ptr %v51, align 4
  %v53 = fadd float %v52, %v50
  %v54 = getelementptr inbounds float, ptr %v5, i64 %v42
  store float %v53, ptr %v54, align 4
  %v43 = add nuw nsw i64 %v42, 1
  %v55 = icmp slt i64 %v43, 144
  br i1 %v55, label %v40, label %v56, !llvm.loop !1
v57:
  ret void
}

define internal void @g61(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, ptr noalias %v5, i64 %v6, i64 %v7) nounwind
{
v8:
  br label %v9
v10:
  %v11 = icmp slt i64 %v6, %v7
  br i1 %v11, label %v12, label %v13
v14:
  %v15 = phi  i64 [%v6, %v9], [%v16, %v17]
  br label %v18
v19:
  ret void
v20:
  %v21 = phi  i64 [0, %v12], [%v22, %v23]
  br label %v24
v25:
  %v16 = add nuw nsw i64 %v15, 1
  %v26 = icmp slt i64 %v16, %v7
  br i1 %v26, label %v12, label %v13
v27:
  %v28 = phi  i64 [0, %v18], [%v29, %v30]
  br label %v31
v32:
  %v22 = add nuw nsw i64 %v21, 1
  %v33 = icmp slt i64 %v22, 3
  br i1 %v33, label %v18, label %v17
v34:
  %v35 = phi  i64 [0, %v24], [%v36, %v37]
  br label %v38
v39:
  %v29 = add nuw nsw i64 %v28, 1
  %v40 = icmp slt i64 %v29, 32
  br i1 %v40, label %v24, label %v23, !llvm.loop !1
v41:
  %v42 = phi  i64 [0, %v31], [%v43, %v38]
  %v44 = add i64 %v15, %v35
  %v45 = add i64 %v44, -1
  %v46 = icmp sge i64 %v45, 0
  %v47 = add i64 %v15, %v35
  %v48 = add i64 %v47, -1
  %v49 = icmp slt i64 %v48, 28
  %v50 = and i1 %v46, %v49
  %v51 = add i64 %v21, %v42
  %v52 = add i64 %v51, -1
  %v53 = icmp sge i64 %v52, 0
  %v54 = and i1 %v50, %v53
  %v55 = add i64 %v21, %v42
  %v56 = add i64 %v55, -1
  %v57 = icmp slt i64 %v56, 28
  %v58 = and i1 %v54, %v57
  %v59 = mul i64 %v28, 784
  %v60 = add i64 %v15, %v35
  %v61 = add i64 %v60, -1
  %v62 = icmp sgt i64 %v61, 0
  %v63 = select  i1 %v62, i64 %v61, i64 0
  %v64 = icmp slt i64 %v63, 27
  %v65 = select  i1 %v64, i64 %v63, i64 27
  %v66 = mul i64 %v65, 28
  %v67 = add i64 %v59, %v66
  %v68 = add i64 %v21, %v42
  %v69 = add i64 %v68, -1
  %v70 = icmp sgt i64 %v69, 0
  %v71 = select  i1 %v70, i64 %v69, i64 0
  %v72 = icmp slt i64 %v71, 27
  %v73 = select  i1 %v72, i64 %v71, i64 27
  %v74 = add i64 %v67, %v73
  %v75 = getelementptr inbounds float, ptr %v2, i64 %v74
  %v76 = load float, ptr %v75, align 4
  %v77 = select  i1 %v58, float %v76, float              0x0
  %v78 = mul i64 %v15, 75264
  %v79 = mul i64 %v21, 25088
  %v80 = add i64 %v78, %v79
  %v81 = mul i64 %v28, 784
  %v82 = add i64 %v80, %v81
  %v83 = mul i64 %v35, 28
  %v84 = add i64 %v82, %v83
  %v85 = add i64 %v84, %v42
  %v86 = getelementptr inbounds float, ptr %v1, i64 %v85
  store float %v77, ptr %v86, align 4
  %v43 = add nuw nsw i64 %v42, 1
  %v87 = icmp slt i64 %v43, 28
  br i1 %v87, label %v38, label %v37
v88:
  %v36 = add nuw nsw i64 %v35, 1
  %v89 = icmp slt i64 %v36, 28
  br i1 %v89, label %v31, label %v30, !llvm.loop !1
}

define internal void @g60(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v9 = load ptr, ptr %v8
  %v10 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v11 = load ptr, ptr %v10
  %v12 = getelementptr inbounds ptr, ptr %v0, i64 4
  %v13 = load ptr, ptr %v12
  %v14 = getelementptr inbounds ptr, ptr %v0, i64 5
  %v15 = load ptr, ptr %v14
  call void @g61(ptr %v5, ptr %v7, ptr %v9, ptr %v11, ptr %v13, ptr %v15, i64 %v1, i64 %v2)
  ret void
}

define void @g62(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4) noinline nounwind
{
v5:
  %v6 = alloca ptr, i32 5
  br label %v7
v8:
  %v9 = getelementptr inbounds float, ptr %v0, i64 0
  %v10 = getelementptr inbounds float, ptr %v1, i64 0
  %v11 = getelementptr inbounds float, ptr %v2, i64 0
  call void @g3(i64 10, i64 1568, i64 32, ptr %v9, i64 1, i64 10, ptr %v10, i64 1568, i64 1, ptr %v11, i64 1568, i32 0)
  %v12 = getelementptr inbounds ptr, ptr %v6, i64 0
  store ptr %v0, ptr %v12
  %v13 = getelementptr inbounds ptr, ptr %v6, i64 1
  store ptr %v1, ptr %v13
  %v14 = getelementptr inbounds ptr, ptr %v6, i64 2
  store ptr %v2, ptr %v14
  %v15 = getelementptr inbounds ptr, ptr %v6, i64 3
  store ptr %v3, ptr %v15
  %v16 = getelementptr inbounds ptr, ptr %v6, i64 4
  store ptr %v4, ptr %v16
  call void @g1(void (ptr, i64, i64)* @g63, ptr %v6, i64 15680, i64 13108)
  ret void
}

define internal void @g64(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, i64 %v5, i64 %v6) nounwind
{
v7:
  br label %v8
v9:
  %v10 = icmp slt i64 %v5, %v6
  br i1 %v10, label %v11, label %v12
v13:
  %v14 = phi  i64 [%v5, %v8], [%v15, %v11]
  %v16 = getelementptr inbounds double, ptr %v3, i64 0
  %v17 = load double, ptr %v16, align 8
  %v18 = fneg double %v17
  %v19 = fptrunc double %v18 to float
  %v20 = getelementptr inbounds float, ptr %v2, i64 %v14
  %v21 = load float, ptr %v20, align 4
  %v22 = fmul float %v21, %v19
  %v23 = getelementptr inbounds float, ptr %v4, i64 %v14
  %v24 = load float, ptr %v23, align 4
  %v25 = fadd float %v24, %v22
  %v26 = getelementptr inbounds float, ptr %v4, i64 %v14
  store float %v25, ptr %v26, align 4
  %v15 = add nuw nsw i64 %v14, 1
  %v27 = icmp slt i64 %v15, %v6
  br i1 %v27, label %v11, label %v12, !llvm.loop !1
v28:
  ret void
}

define internal void @g63(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v9 = load ptr, ptr %v8
  %v10 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v11 = load ptr, ptr %v10
  %v12 = getelementptr inbounds ptr, ptr %v0, i64 4
  %v13 = load ptr, ptr %v12
  call void @g64(ptr %v5, ptr %v7, ptr %v9, ptr %v11, ptr %v13, i64 %v1, i64 %v2)
  ret void
}

define void @g65(ptr %v0) nounwind
{
v1:
  %v2 = getelementptr inbounds ptr, ptr %v0, i64 16
  %v3 = load ptr, ptr %v2
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 15
  %v9 = load ptr, ptr %v8
  %v10 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v11 = load ptr, ptr %v10
  call void @g0(ptr %v3, ptr %v5, ptr %v7, ptr %v9, ptr %v11)
  %v12 = getelementptr inbounds ptr, ptr %v0, i64 15
  %v13 = load ptr, ptr %v12
  %v14 = getelementptr inbounds ptr, ptr %v0, i64 17
  %v15 = load ptr, ptr %v14
  call void @g7(ptr %v13, ptr %v15)
  %v16 = getelementptr inbounds ptr, ptr %v0, i64 19
  %v17 = load ptr, ptr %v16
  %v18 = getelementptr inbounds ptr, ptr %v0, i64 17
  %v19 = load ptr, ptr %v18
  %v20 = getelementptr inbounds ptr, ptr %v0, i64 4
  %v21 = load ptr, ptr %v20
  %v22 = getelementptr inbounds ptr, ptr %v0, i64 18
  %v23 = load ptr, ptr %v22
  %v24 = getelementptr inbounds ptr, ptr %v0, i64 5
  %v25 = load ptr, ptr %v24
  call void @g11(ptr %v17, ptr %v19, ptr %v21, ptr %v23, ptr %v25)
  %v26 = getelementptr inbounds ptr, ptr %v0, i64 18
  %v27 = load ptr, ptr %v26
  %v28 = getelementptr inbounds ptr, ptr %v0, i64 20
  %v29 = load ptr, ptr %v28
  %v30 = getelementptr inbounds ptr, ptr %v0, i64 21
  %v31 = load ptr, ptr %v30
  call void @g16(ptr %v27, ptr %v29, ptr %v31)
  %v32 = getelementptr inbounds ptr, ptr %v0, i64 21
  %v33 = load ptr, ptr %v32
  %v34 = getelementptr inbounds ptr, ptr %v0, i64 6
  %v35 = load ptr, ptr %v34
  %v36 = getelementptr inbounds ptr, ptr %v0, i64 22
  %v37 = load ptr, ptr %v36
  %v38 = getelementptr inbounds ptr, ptr %v0, i64 7
  %v39 = load ptr, ptr %v38
  call void @g21(ptr %v33, ptr %v35, ptr %v37, ptr %v39)
  %v40 = getelementptr inbounds ptr, ptr %v0, i64 22
  %v41 = load ptr, ptr %v40
  %v42 = getelementptr inbounds ptr, ptr %v0, i64 23
  %v43 = load ptr, ptr %v42
  call void @g22(ptr %v41, ptr %v43)
  %v44 = getelementptr inbounds ptr, ptr %v0, i64 22
  %v45 = load ptr, ptr %v44
  %v46 = getelementptr inbounds ptr, ptr %v0, i64 23
  %v47 = load ptr, ptr %v46
  %v48 = getelementptr inbounds ptr, ptr %v0, i64 24
  %v49 = load ptr, ptr %v48
  %v50 = getelementptr inbounds ptr, ptr %v0, i64 25
  %v51 = load ptr, ptr %v50
  %v52 = getelementptr inbounds ptr, ptr %v0, i64 26
  %v53 = load ptr, ptr %v52
  %v54 = getelementptr inbounds ptr, ptr %v0, i64 27
  %v55 = load ptr, ptr %v54
  call void @g23(ptr %v45, ptr %v47, ptr %v49, ptr %v51, ptr %v53, ptr %v55)
  %v56 = getelementptr inbounds ptr, ptr %v0, i64 24
  %v57 = load ptr, ptr %v56
  %v58 = getelementptr inbounds ptr, ptr %v0, i64 27
  %v59 = load ptr, ptr %v58
  %v60 = getelementptr inbounds ptr, ptr %v0, i64 28
  %v61 = load ptr, ptr %v60
  call void @g26(ptr %v57, ptr %v59, ptr %v61)
  %v62 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v63 = load ptr, ptr %v62
  %v64 = getelementptr inbounds ptr, ptr %v0, i64 29
  %v65 = load ptr, ptr %v64
  call void @g27(ptr %v63, ptr %v65)
  %v66 = getelementptr inbounds ptr, ptr %v0, i64 29
  %v67 = load ptr, ptr %v66
  %v68 = getelementptr inbounds ptr, ptr %v0, i64 49
  %v69 = load ptr, ptr %v68
  %v70 = getelementptr inbounds ptr, ptr %v0, i64 28
  %v71 = load ptr, ptr %v70
  %v72 = getelementptr inbounds ptr, ptr %v0, i64 30
  %v73 = load ptr, ptr %v72
  call void @g28(ptr %v67, ptr %v69, ptr %v71, ptr %v73)
  %v74 = getelementptr inbounds ptr, ptr %v0, i64 49
  %v75 = load ptr, ptr %v74
  %v76 = load i64, ptr %v75
  %v77 = icmp ne i64 %v76, 0
  br i1 %v77, label %v78, label %v79
v80:
  ret void
v81:
  %v82 = getelementptr inbounds ptr, ptr %v0, i64 30
  %v83 = load ptr, ptr %v82
  %v84 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v85 = load ptr, ptr %v84
  %v86 = getelementptr inbounds ptr, ptr %v0, i64 31
  %v87 = load ptr, ptr %v86
  %v88 = getelementptr inbounds ptr, ptr %v0, i64 32
  %v89 = load ptr, ptr %v88
  %v90 = getelementptr inbounds ptr, ptr %v0, i64 33
  %v91 = load ptr, ptr %v90
  %v92 = getelementptr inbounds ptr, ptr %v0, i64 34
  %v93 = load ptr, ptr %v92
  %v94 = getelementptr inbounds ptr, ptr %v0, i64 35
  %v95 = load ptr, ptr %v94
  call void @g29(ptr %v83, ptr %v85, ptr %v87, ptr %v89, ptr %v91, ptr %v93, ptr %v95)
  %v96 = getelementptr inbounds ptr, ptr %v0, i64 35
  %v97 = load ptr, ptr %v96
  %v98 = getelementptr inbounds ptr, ptr %v0, i64 31
  %v99 = load ptr, ptr %v98
  %v100 = getelementptr inbounds ptr, ptr %v0, i64 36
  %v101 = load ptr, ptr %v100
  call void @g30(ptr %v97, ptr %v99, ptr %v101)
  %v102 = getelementptr inbounds ptr, ptr %v0, i64 37
  %v103 = load ptr, ptr %v102
  %v104 = getelementptr inbounds ptr, ptr %v0, i64 29
  %v105 = load ptr, ptr %v104
  %v106 = getelementptr inbounds ptr, ptr %v0, i64 36
  %v107 = load ptr, ptr %v106
  call void @g31(ptr %v103, ptr %v105, ptr %v107)
  %v108 = getelementptr inbounds ptr, ptr %v0, i64 37
  %v109 = load ptr, ptr %v108
  %v110 = getelementptr inbounds ptr, ptr %v0, i64 38
  %v111 = load ptr, ptr %v110
  %v112 = getelementptr inbounds ptr, ptr %v0, i64 26
  %v113 = load ptr, ptr %v112
  %v114 = getelementptr inbounds ptr, ptr %v0, i64 39
  %v115 = load ptr, ptr %v114
  call void @g32(ptr %v109, ptr %v111, ptr %v113, ptr %v115)
  %v116 = getelementptr inbounds ptr, ptr %v0, i64 14
  %v117 = load ptr, ptr %v116
  %v118 = getelementptr inbounds ptr, ptr %v0, i64 39
  %v119 = load ptr, ptr %v118
  %v120 = getelementptr inbounds ptr, ptr %v0, i64 25
  %v121 = load ptr, ptr %v120
  %v122 = getelementptr inbounds ptr, ptr %v0, i64 37
  %v123 = load ptr, ptr %v122
  %v124 = getelementptr inbounds ptr, ptr %v0, i64 40
  %v125 = load ptr, ptr %v124
  %v126 = getelementptr inbounds ptr, ptr %v0, i64 8
  %v127 = load ptr, ptr %v126
  %v128 = getelementptr inbounds ptr, ptr %v0, i64 7
  %v129 = load ptr, ptr %v128
  call void @g33(ptr %v117, ptr %v119, ptr %v121, ptr %v123, ptr %v125, ptr %v127, ptr %v129)
  %v130 = getelementptr inbounds ptr, ptr %v0, i64 40
  %v131 = load ptr, ptr %v130
  %v132 = getelementptr inbounds ptr, ptr %v0, i64 6
  %v133 = load ptr, ptr %v132
  %v134 = getelementptr inbounds ptr, ptr %v0, i64 41
  %v135 = load ptr, ptr %v134
  %v136 = getelementptr inbounds ptr, ptr %v0, i64 42
  %v137 = load ptr, ptr %v136
  call void @g34(ptr %v131, ptr %v133, ptr %v135, ptr %v137)
  %v138 = getelementptr inbounds ptr, ptr %v0, i64 42
  %v139 = load ptr, ptr %v138
  %v140 = getelementptr inbounds ptr, ptr %v0, i64 18
  %v141 = load ptr, ptr %v140
  %v142 = getelementptr inbounds ptr, ptr %v0, i64 43
  %v143 = load ptr, ptr %v142
  call void @g37(ptr %v139, ptr %v141, ptr %v143)
  %v144 = getelementptr inbounds ptr, ptr %v0, i64 43
  %v145 = load ptr, ptr %v144
  %v146 = getelementptr inbounds ptr, ptr %v0, i64 12
  %v147 = load ptr, ptr %v146
  %v148 = getelementptr inbounds ptr, ptr %v0, i64 8
  %v149 = load ptr, ptr %v148
  %v150 = getelementptr inbounds ptr, ptr %v0, i64 5
  %v151 = load ptr, ptr %v150
  call void @g40(ptr %v145, ptr %v147, ptr %v149, ptr %v151)
  %v152 = getelementptr inbounds ptr, ptr %v0, i64 44
  %v153 = load ptr, ptr %v152
  %v154 = getelementptr inbounds ptr, ptr %v0, i64 4
  %v155 = load ptr, ptr %v154
  %v156 = getelementptr inbounds ptr, ptr %v0, i64 43
  %v157 = load ptr, ptr %v156
  %v158 = getelementptr inbounds ptr, ptr %v0, i64 45
  %v159 = load ptr, ptr %v158
  call void @g43(ptr %v153, ptr %v155, ptr %v157, ptr %v159)
  %v160 = getelementptr inbounds ptr, ptr %v0, i64 11
  %v161 = load ptr, ptr %v160
  %v162 = getelementptr inbounds ptr, ptr %v0, i64 46
  %v163 = load ptr, ptr %v162
  %v164 = getelementptr inbounds ptr, ptr %v0, i64 17
  %v165 = load ptr, ptr %v164
  %v166 = getelementptr inbounds ptr, ptr %v0, i64 43
  %v167 = load ptr, ptr %v166
  %v168 = getelementptr inbounds ptr, ptr %v0, i64 8
  %v169 = load ptr, ptr %v168
  %v170 = getelementptr inbounds ptr, ptr %v0, i64 4
  %v171 = load ptr, ptr %v170
  call void @g50(ptr %v161, ptr %v163, ptr %v165, ptr %v167, ptr %v169, ptr %v171)
  %v172 = getelementptr inbounds ptr, ptr %v0, i64 44
  %v173 = load ptr, ptr %v172
  %v174 = getelementptr inbounds ptr, ptr %v0, i64 15
  %v175 = load ptr, ptr %v174
  %v176 = getelementptr inbounds ptr, ptr %v0, i64 47
  %v177 = load ptr, ptr %v176
  call void @g53(ptr %v173, ptr %v175, ptr %v177)
  %v178 = getelementptr inbounds ptr, ptr %v0, i64 47
  %v179 = load ptr, ptr %v178
  %v180 = getelementptr inbounds ptr, ptr %v0, i64 10
  %v181 = load ptr, ptr %v180
  %v182 = getelementptr inbounds ptr, ptr %v0, i64 8
  %v183 = load ptr, ptr %v182
  %v184 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v185 = load ptr, ptr %v184
  call void @g56(ptr %v179, ptr %v181, ptr %v183, ptr %v185)
  %v186 = getelementptr inbounds ptr, ptr %v0, i64 9
  %v187 = load ptr, ptr %v186
  %v188 = getelementptr inbounds ptr, ptr %v0, i64 48
  %v189 = load ptr, ptr %v188
  %v190 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v191 = load ptr, ptr %v190
  %v192 = getelementptr inbounds ptr, ptr %v0, i64 47
  %v193 = load ptr, ptr %v192
  %v194 = getelementptr inbounds ptr, ptr %v0, i64 8
  %v195 = load ptr, ptr %v194
  %v196 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v197 = load ptr, ptr %v196
  call void @g59(ptr %v187, ptr %v189, ptr %v191, ptr %v193, ptr %v195, ptr %v197)
  %v198 = getelementptr inbounds ptr, ptr %v0, i64 40
  %v199 = load ptr, ptr %v198
  %v200 = getelementptr inbounds ptr, ptr %v0, i64 21
  %v201 = load ptr, ptr %v200
  %v202 = getelementptr inbounds ptr, ptr %v0, i64 13
  %v203 = load ptr, ptr %v202
  %v204 = getelementptr inbounds ptr, ptr %v0, i64 8
  %v205 = load ptr, ptr %v204
  %v206 = getelementptr inbounds ptr, ptr %v0, i64 6
  %v207 = load ptr, ptr %v206
  call void @g62(ptr %v199, ptr %v201, ptr %v203, ptr %v205, ptr %v207)
  ret void
}

!0 = !{ !"llvm.loop.unroll.disable" }
!1 = !{ !1, !0 }
